# Copyright (c) OpenMMLab. All rights reserved.
"""Tests of tools/reproduce.py.

The plans against the README tables they come from (every listed config
planned once per seed, teachers and stages first, students reading their
teacher's run), the launchers' commands (a fake ``sbatch`` on PATH, a fake
trainer for the local launcher's failure handling), ``--gather`` and
``--update-docs`` on hand-written MMEngine logs and a copy of the
READMEs and metafiles, bad input, the GPU-hour estimate against the zoo's
FLOPs, and (``slow``) the digits table end to end.
"""
import json
import os
import os.path as osp
import re
import shutil
import stat
import statistics
import subprocess
import sys

import pytest
import yaml
from kd_test_utils import REPO, load_tool
from mmengine.config import Config

rp = load_tool('reproduce.py')
README_TABLES = [n for n, t in rp.TABLES.items()
                 if t.kind == 'readme']
LINK = re.compile(r'\]\(([^)\s]+\.py)\)')
TICK = re.compile(r'`([\w+.-]+)`')


def _listed(readme, line):
    """The configs a README table line names (links and backticks), read
    here independently of the tool."""
    found = [
        osp.relpath(osp.normpath(osp.join(REPO, osp.dirname(readme), t)),
                    REPO) for t in LINK.findall(line)
    ]
    stems = {osp.splitext(osp.basename(p))[0]: osp.relpath(p, REPO)
             for p in _all_configs()}
    return found + [stems[t] for t in TICK.findall(line) if t in stems]


def _all_configs():
    import glob
    return [p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                 recursive=True)
            if '_base_' not in p and not osp.basename(p).startswith('_')]


@pytest.fixture(scope='module')
def plans():
    return {name: rp.build_plan(rp.TABLES[name], seeds=[0, 1])
            for name in rp.TABLES}


@pytest.mark.parametrize('name', README_TABLES)
def test_plan_covers_every_config_of_its_readme_table(name, plans):
    plan = plans[name]
    planned = {r.config for r in plan.runs}
    table = rp.TABLES[name]
    assert len(plan.sections) == len(table.sections)
    for spec, section in zip(table.sections, plan.sections):
        with open(osp.join(REPO, spec.readme), encoding='utf-8') as f:
            lines = f.read().splitlines()
        md = section.table
        body = lines[md.first + 2:md.first + 2 + len(md.rows)]
        assert body and all(line.startswith('|') for line in body)
        kept = [line for line in body
                if not spec.rows or spec.rows in line.split('|')[1]]
        assert len(section.rows) == len(kept) > 0
        if spec.column:  # one dataset column: its cells only
            index = md.header.index(spec.column)
            kept = [line.strip().strip('|').split('|')[index]
                    for line in kept]
        for line, row in zip(kept, section.rows):
            for config in _listed(spec.readme, line):
                if config in planned:
                    continue
                # a config that only renames another (quest_r34_r18_in1k)
                merged = Config.fromfile(osp.join(REPO, config)).to_dict()
                assert any(
                    Config.fromfile(osp.join(REPO, p)).to_dict() == merged
                    for p in planned), (name, row.label, config)
            for target in row.targets.values():
                runs = plan.runs_of(target)
                assert len(runs) == (1 if target.once else 2), (
                    name, row.label, target.config)
    # no run twice, no work dir shared
    keys = [(r.config, r.seed, r.variant) for r in plan.runs]
    assert len(set(keys)) == len(keys)
    assert len({r.work_dir for r in plan.runs}) == len(plan.runs)


def test_rows_measure_the_configs_they_name(plans):
    # SSKD: a row names stage 2 and its stage 1; stage 2 is the target
    # (per seed), stage 1 the run it reads (once), as is the teacher
    sskd = plans['sskd-cifar100']
    row = sskd.sections[0].rows[3]
    assert row.label == 'sskd_resnet32x4_resnet8x4_1xb64_cifar100.py'
    assert {k: (osp.basename(t.config), t.once)
            for k, t in row.targets.items()} == {
        'sskd': ('sskd_resnet32x4_resnet8x4_1xb64_cifar100.py', False),
        'teacher': ('resnet32x4_1xb64_cifar100.py', True),
        'student': ('resnet8x4_1xb64_cifar100.py', False)}
    stage1 = sskd.by_name()['sskd_stage1_resnet32x4_1xb64_cifar100']
    assert stage1.once and stage1.deps == ['resnet32x4_1xb64_cifar100']
    # a variant the metafile gives no vanilla student: none is trained
    eccv = sskd.sections[0].rows[11]
    assert 'eccv_weights' in eccv.targets['sskd'].config
    assert 'student' not in eccv.targets
    # MFD: the rows of one dataset column; the teacher once, every
    # method (the vanilla student too) per seed; CelebA has no NST
    mfd = plans['mfd-utkface'].sections[0]
    names = [osp.basename(r.targets[r.own[0]].config) for r in mfd.rows]
    assert names[0] == 'scratch_resnet18_1xb128_utkface.py'
    assert 'ss_hkd_resnet18_1xb128_utkface.py' in names
    assert len(set(names)) == len(names) == 12
    assert mfd.rows[1].targets['teacher'] == rp.Target(
        'configs/mfd/scratch_resnet18_1xb128_utkface.py', once=True)
    celeba = plans['mfd-celeba'].sections[0]
    assert [r.targets for r in celeba.rows if r.label == 'NST'] == [{}]
    # ImageNet: only the ImageNet rows; the short name is not run twice
    imagenet = plans['quest-imagenet']
    assert [r.label.split(':')[0] for r in imagenet.sections[0].rows] == [
        'ImageNet', 'ImageNet']
    assert len(imagenet.runs) == 2 * 2
    # WCoRD's Table 1: CRD and CRD+KD come from CRD's README beside it,
    # and its row shows them too
    wcord = plans['wcord-table1']
    methods = {osp.basename(r.config).split('_')[0] for r in wcord.runs}
    assert {'wcord', 'wcord+kd', 'crd', 'crd+kd'} <= methods
    assert {'wcord', 'wcord+kd', 'crd', 'crd+kd'} <= set(
        wcord.sections[0].rows[0].targets)


def test_a_readme_table_that_changed_names_the_readme_and_what_to_change(
        monkeypatch):
    text = open(osp.join(REPO, 'configs/quest/README.md')).read()
    sec = rp.TABLES['quest-cifar100'].sections[0]
    changed = text.replace('QuEST (ours)', 'QuEST (measured)')
    with pytest.raises(ValueError) as err:
        rp.find_table('quest-cifar100', sec, changed)
    message = str(err.value)
    assert message.startswith(
        "configs/quest/README.md: table quest-cifar100 reads its results "
        "table, the one with a header with ['QuEST (paper)', 'QuEST "
        "(ours)'] after a heading with 'CIFAR-100'; the README has 0 such "
        'tables.')
    assert "after 'CIFAR-100': | config | teacher layer → student layer" \
        in message
    assert ("change the SectionDef of 'quest-cifar100' in TABLES "
            '(tools/reproduce.py)') in message
    assert rp.find_table('quest-cifar100', sec, text).heading == 'CIFAR-100'
    # a row that names no config
    row = '| WRN-40-2 → WRN-16-2 | 75.61 | — |'
    with pytest.raises(ValueError, match='names no config of a metafile'):
        rp._row(sec, [rp.classify(h, i) for i, h in enumerate(
            ['pair', 'QuEST (paper)', 'QuEST (ours)'])],
            rp.split_cells(row), 'README line 3')


def test_every_results_table_of_the_readmes_is_a_table_here():
    """A README table of papers' numbers or ours that no table reproduces
    would silently stay unreproduced: each is a section here, or listed
    below with why not."""
    not_trained = {
        # a linear probe of trained students (tools/analysis/linear_probe)
        ('configs/sskd/README.md', 'probe data'),
        # no paper numbers; its first digits row is the digits table's
        ('configs/sskd/README.md', 'stage 2', 'ImageNet and the digits'),
        # the zoo: --update-docs writes it from the teachers and vanilla
        # students of the other tables
        ('configs/teachers/README.md', 'Network'),
    }
    sections = {(s.readme, tuple(s.header), s.heading)
                for t in rp.TABLES.values() for s in t.sections}
    import glob
    for readme in glob.glob(osp.join(REPO, 'configs', '**', 'README.md'),
                            recursive=True):
        rel = osp.relpath(readme, REPO)
        for md in rp.read_tables(rel):
            results = any(re.search(r'\(paper\)|\bours\b', h)
                          for h in md.header)
            # (the departures tables set the authors' code beside ours)
            if not results or md.heading.startswith('Departures'):
                continue
            keys = {(rel, md.header[0]), (rel, md.header[0], md.heading)}
            if keys & not_trained:
                continue
            assert any(r == rel and all(
                h.lower() in ' | '.join(md.header).lower() for h in header)
                and (heading is None or heading in (md.heading or ''))
                for r, header, heading in sections), (rel, md.header)


def test_teachers_and_stages_come_before_their_students(plans):
    for name, plan in plans.items():
        position = {r.name: i for i, r in enumerate(plan.runs)}
        for run in plan.runs:
            for dep in run.deps:
                assert position[dep] < position[run.name], (name, run.name)
        kinds = [0 if r.once and not r.deps else 1 if r.once else 2
                 for r in plan.runs]
        assert kinds == sorted(kinds), name
    # SSKD: teacher, its stage 1, then the student reading both
    plan = plans['sskd-cifar100']
    student = plan.by_name()['sskd_resnet32x4_resnet8x4_1xb64_cifar100/seed1']
    options = dict(student.options)
    assert options['model.teacher_ckpt'] == \
        'work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth'
    assert options['model.teacher_ss_ckpt'] == \
        'work_dirs/sskd_stage1_resnet32x4_1xb64_cifar100/epoch_60.pth'
    assert options['randomness.seed'] == '1'
    assert student.deps == ['resnet32x4_1xb64_cifar100',
                            'sskd_stage1_resnet32x4_1xb64_cifar100']
    assert student.work_dir == \
        'work_dirs/sskd_resnet32x4_resnet8x4_1xb64_cifar100/seed1'
    # AB's first stage trains the student: one per seed, read by load_from
    ab = plans['crd-benchmark'].by_name()[
        'ab_preact_resnet32x4_resnet8x4_1xb64_cifar100_train/seed1']
    assert dict(ab.options)['load_from'] == (
        'work_dirs/ab_preact_resnet32x4_resnet8x4_1xb64_cifar100_init/'
        'seed1/epoch_30.pth')


def test_epochs_shorten_every_run_and_students_read_the_short_teachers():
    plan = rp.build_plan(rp.TABLES['mfd-cifar10s'], seeds=[0], epochs=2)
    assert plan.root == 'work_dirs/epochs2'
    runs = plan.by_name()
    teacher = runs['scratch_cifarnet_1xb128_cifar10s']
    assert teacher.epochs == 2 and teacher.checkpoint.endswith(
        'epochs2/scratch_cifarnet_1xb128_cifar10s/epoch_2.pth')
    # the two-stage FitNet keeps its hint stage in proportion (25 of 75:
    # 1 hint epoch + 2), so its last checkpoint is epoch_3.pth
    fitnet = runs['fitnet_cifarnet_1xb128_cifar10s/seed0']
    options = dict(fitnet.options)
    assert fitnet.epochs == 3 and options['train_cfg.max_epochs'] == '3'
    assert options['model.teacher_ckpt'] == teacher.checkpoint
    hooks = Config.fromfile(osp.join(REPO, fitnet.config)).custom_hooks
    hint = next(i for i, h in enumerate(hooks)
                if h['type'].endswith('HintStageHook'))
    assert options[f'custom_hooks.{hint}.hint_epochs'] == '1'
    for run in plan.runs:
        assert dict(run.options)['train_cfg.max_epochs'] in ('2', '3')


def test_digits_runs_are_the_demos_rows():
    demo = load_tool('demo.py')
    plan = rp.build_plan(rp.TABLES['digits'])
    assert [r.label for r in plan.sections[0].rows] == [
        r.name for r in demo.ROWS]
    runs = plan.by_name()
    kd = runs['kd_logits_resnet20_resnet8_1xb64_digits/seed0']
    options = dict(kd.options)
    # the demo's share (144 images) and student epochs (60)
    assert options['train_dataloader.dataset.indices'] == '144'
    assert options['train_cfg.max_epochs'] == '60' and kd.epochs == 60
    assert options['model.teacher_ckpt'] == \
        'work_dirs/resnet20_1xb64_digits/epoch_30.pth'
    # the teacher goes where the digits configs read it
    assert runs['resnet20_1xb64_digits'].checkpoint == Config.fromfile(
        osp.join(REPO, kd.config)).model.teacher_ckpt
    sskd = dict(runs['sskd_resnet20_resnet8_1xb64_digits/seed0'].options)
    assert sskd['model.teacher_ss_ckpt'] == \
        'work_dirs/sskd_stage1_resnet20_1xb64_digits/epoch_10.pth'


def _write_log(work_dir, entries, stamp='20260101_000000'):
    path = osp.join(work_dir, stamp, 'vis_data', 'scalars.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        for entry in entries:
            f.write(json.dumps(entry) + '\n')
    return path


def _val(step, top1, **more):
    return dict({'accuracy/top1': top1, 'data_time': 0.1, 'time': 0.2,
                 'step': step}, **more)


def _train(step):
    return dict(lr=0.05, loss=1.0, epoch=step, iter=step * 10, step=step)


def test_gather_reads_the_logs_and_reports_missing_runs(tmp_path):
    plan = rp.build_plan(rp.TABLES['quest-cifar100'], seeds=[0, 1],
                         work_dir=str(tmp_path))
    runs = plan.by_name()
    quest = 'quest_block3_wrn_40_2_wrn_16_2_1xb64_cifar100'
    _write_log(runs['wrn_40_2_1xb64_cifar100'].work_dir,
               [_train(1), _val(1, 10.0), _val(240, 75.0)])
    _write_log(runs[f'{quest}/seed0'].work_dir,
               [_train(239), _val(239, 77.5), _train(240), _val(240, 76.0)])
    # a resumed run: the second log finishes it
    _write_log(runs[f'{quest}/seed1'].work_dir, [_val(100, 60.0)],
               '20260101_000000')
    _write_log(runs[f'{quest}/seed1'].work_dir, [_val(240, 77.0)],
               '20260102_000000')
    # an incomplete vanilla student, the other seed never started
    _write_log(runs['wrn_16_2_1xb64_cifar100/seed0'].work_dir,
               [_val(120, 70.0)])
    results = rp.gather(plan)
    seed0 = dict(results[f'{quest}/seed0'])
    assert seed0.pop('log').endswith(
        'seed0/20260101_000000/vis_data/scalars.json')
    assert seed0 == dict(status='done', top1=76.0, best=77.5,
                         best_epoch=239, last_epoch=240)
    assert results[f'{quest}/seed0']['log'].endswith(
        'seed0/20260101_000000/vis_data/scalars.json')
    assert results[f'{quest}/seed1']['top1'] == 77.0
    assert results[f'{quest}/seed1']['log'].endswith(
        '20260102_000000/vis_data/scalars.json')
    assert results['wrn_16_2_1xb64_cifar100/seed0']['status'] == \
        'incomplete'
    assert results['wrn_16_2_1xb64_cifar100/seed1'] == dict(
        status='missing', log=None)
    text = rp.report(plan, results)
    mean = statistics.mean([76.0, 77.0])
    std = statistics.stdev([76.0, 77.0])
    rows = {line.split(']')[0]: line for line in text.splitlines()
            if line.startswith('| [WRN-40-2 → ')}
    # the README's row, ours beside the paper's: teacher, vanilla (none
    # done: missing, not a zero), QuEST over the two seeds
    assert rows['| [WRN-40-2 → WRN-16-2'].endswith(
        f'| 75.61 | 75.00 | 73.26 | missing | 76.10 | {mean:.2f} ± '
        f'{std:.2f} |')
    assert rows['| [WRN-40-2 → WRN-16-2'].startswith(
        '| [WRN-40-2 → WRN-16-2](quest_block3_wrn_40_2_wrn_16_2_1xb64_'
        'cifar100.py) | `relu_final` 128×8×8 → `relu_final` 128×8×8 | 1 |')
    # a row with nothing run
    assert rows['| [WRN-40-2 → WRN-40-1'].endswith(
        '| 75.61 | 75.00 | 71.98 | missing | 74.58 | missing |')
    assert '| wrn_16_2_1xb64_cifar100/seed0 | incomplete (epoch 120 of ' \
        '240) | – | 70.00 (120) |' in text
    assert 'missing (no log): ' in text and \
        'wrn_16_2_1xb64_cifar100/seed1' in text.split('missing (no log): ')[1]
    assert '| 0.00 |' not in text


def _copy_docs(tmp_path):
    """A copy of every README and metafile (what --update-docs writes)."""
    for path in ['model-index.yml'] + [
            osp.relpath(p, REPO) for p in __import__('glob').glob(
                osp.join(REPO, 'configs', '**', '*.*'), recursive=True)
            if p.endswith(('README.md', 'metafile.yml'))]:
        os.makedirs(tmp_path / osp.dirname(path), exist_ok=True)
        shutil.copy(osp.join(REPO, path), tmp_path / path)
    return tmp_path


def test_update_docs_writes_the_readmes_and_metafiles_of_a_copy(tmp_path):
    docs = _copy_docs(tmp_path / 'repo')
    plan = rp.build_plan(rp.TABLES['quest-cifar100'], seeds=[0, 1],
                         work_dir=str(tmp_path / 'work'))
    runs = plan.by_name()
    quest = 'quest_layer3_resnet32x4_resnet8x4_1xb64_cifar100'
    logs = {}
    for name, top1 in [('resnet32x4_1xb64_cifar100', 79.0),
                       ('resnet8x4_1xb64_cifar100/seed0', 72.0),
                       ('resnet8x4_1xb64_cifar100/seed1', 73.0),
                       (f'{quest}/seed0', 75.0), (f'{quest}/seed1', 76.5)]:
        logs[name] = _write_log(runs[name].work_dir, [_val(240, top1)])
    results = rp.gather(plan)
    written = rp.update_docs(plan, results, root=str(docs))
    assert any('configs/quest/README.md: 1 rows' in w for w in written)
    readme = (docs / 'configs/quest/README.md').read_text()
    assert (f'| [resnet32x4 → resnet8x4]({quest}.py) | `layer3` 256×8×8 '
            '→ `layer3` 256×8×8 | 1 | 1 | 0.05 | 79.42 | 72.50 | 75.88 | '
            f'75.75 ± {statistics.stdev([75.0, 76.5]):.2f} |') in readme
    # the other rows keep their dash; nothing else of the file changed
    original = open(osp.join(REPO, 'configs/quest/README.md')).read()
    diff = [(a, b) for a, b in zip(original.splitlines(),
                                   readme.splitlines()) if a != b]
    assert len(diff) == 1 and len(original.splitlines()) == len(
        readme.splitlines())
    # the zoo's "Top-1 ours" of the teacher and the vanilla student
    zoo = (docs / 'configs/teachers/README.md').read_text()
    assert re.search(r'\| resnet32x4 \| CIFARResNet \| 7\.43 \| 1085\.6 \| '
                     r'79\.42 \(T\) \| 79\.00 \|', zoo)
    assert '| 72.50 (S) | 72.50 ± 0.71 |' in zoo
    # the metafile: Results and Training Log of the measured config, the
    # comments and the other models as they were
    meta_path = docs / 'configs/quest/metafile.yml'
    meta = yaml.safe_load(meta_path.read_text())
    before = yaml.safe_load(
        open(osp.join(REPO, 'configs/quest/metafile.yml')).read())
    entry = next(m for m in meta['Models']
                 if m['Config'] == f'configs/quest/{quest}.py')
    assert entry['Results'] == [dict(
        Task='Image Classification', Dataset='CIFAR-100',
        Metrics={'Top 1 Accuracy': 75.75})]
    assert entry['Training Log'] == [logs[f'{quest}/seed0'],
                                     logs[f'{quest}/seed1']]
    others = [m for m in meta['Models'] if m is not entry]
    assert others == [m for m in before['Models']
                      if m['Config'] != entry['Config']]
    text = meta_path.read_text()
    assert 'Top 1 Accuracy: 75.75  # ours: tools/reproduce.py ' \
        'quest-cifar100, mean of 2 runs (seeds 0 1), last epoch' in text
    # the other models' comments stay
    comments = [line for line in open(
        osp.join(REPO, 'configs/quest/metafile.yml')).read().splitlines()
        if '#' in line]
    assert comments and all(line in text.splitlines() for line in comments)
    teachers = yaml.safe_load(
        (docs / 'configs/teachers/metafile.yml').read_text())
    resnet8x4 = next(m for m in teachers['Models']
                     if m['Name'] == 'resnet8x4_1xb64_cifar100')
    assert resnet8x4['Results'][0]['Metrics'] == {'Top 1 Accuracy': 72.5}
    # the repository's own files are untouched
    assert open(osp.join(REPO, 'configs/quest/README.md')).read() == original


def test_update_docs_fills_a_fairness_row_and_a_shared_ours_column(
        tmp_path):
    docs = _copy_docs(tmp_path / 'repo')
    values = {'cifar10s': [(80.0, 6.0, 3.0), (82.0, 8.0, 2.0)],
              'utkface': [(70.0, 20.0, 10.0)]}
    for data, measured in values.items():
        plan = rp.build_plan(rp.TABLES[f'mfd-{data}'], seeds=[0, 1],
                             work_dir=str(tmp_path / 'work'))
        for seed, (top1, deo_m, deo_a) in enumerate(measured):
            run = plan.by_name()[f'mfd_{plan.runs[0].name[8:]}/seed{seed}']
            _write_log(run.work_dir, [{
                'fairness/top1': top1, 'fairness/DEO_M': deo_m,
                'fairness/DEO_A': deo_a, 'fairness/loss': 0.5,
                'step': run.epochs}])
        rp.update_docs(plan, rp.gather(plan), root=str(docs))
    md = rp.find_table('mfd-cifar10s', plan.table.sections[0],
                       (docs / 'configs/mfd/README.md').read_text())
    rows = {cells[0]: cells for cells in md.rows}
    # the one "ours" column: a part per dataset, the paper's order (top-1,
    # DEO_A, DEO_M); one of two seeds done says so
    assert rows['MFD'][-1] == (
        'CIFAR-10S: 81.00 ± 1.41 / 2.50 ± 0.71 / 7.00 ± 1.41; UTKFace: '
        '70.00 (1 of 2 runs) / 10.00 (1 of 2 runs) / 20.00 (1 of 2 runs)')
    assert rows['MFD'][2].endswith(': 82.77 ± 0.14 / 2.73 ± 0.41 / 6.08 ± '
                                   '0.91')
    assert rows['HKD'][-1] == 'not run'
    meta = yaml.safe_load((docs / 'configs/mfd/metafile.yml').read_text())
    entry = next(m for m in meta['Models']
                 if m['Name'] == 'mfd_cifarnet_1xb128_cifar10s')
    assert entry['Results'][0] == dict(
        Task='Image Classification', Dataset='CIFAR-10S',
        Metrics={'Top 1 Accuracy': 81.0, 'DEO_A': 2.5, 'DEO_M': 7.0})

    # WCoRD's Table 1: CRD's README row gets "CRD / CRD+KD" in its "ours"
    plan = rp.build_plan(rp.TABLES['wcord-table1'], seeds=[0],
                         work_dir=str(tmp_path / 'work2'))
    for name, top1 in [('crd_neck_vgg13_vgg8_1xb64_cifar100/seed0', 74.0),
                       ('crd+kd_neck_vgg13_vgg8_1xb64_cifar100/seed0', 74.5),
                       ('wcord_neck_vgg13_vgg8_1xb64_cifar100/seed0', 75.0)]:
        _write_log(plan.by_name()[name].work_dir, [_val(240, top1)])
    rp.update_docs(plan, rp.gather(plan), root=str(docs))
    crd = (docs / 'configs/baselines/crd/README.md').read_text()
    assert '| vgg13 → vgg8 | 73.94 ± 0.22 | 74.29 ± 0.12 | 74.00 / 74.50 |' \
        in crd
    wcord = (docs / 'configs/wcord/README.md').read_text()
    assert re.search(r'\| vgg13 → vgg8 \| .* \| 74\.72 ± 0\.13 \| 75\.00 \|',
                     wcord)


def test_update_docs_refuses_a_shortened_plan(tmp_path):
    plan = rp.build_plan(rp.TABLES['digits'], work_dir=str(tmp_path),
                         epochs=1)
    with pytest.raises(ValueError, match='a smoke test: leave --epochs out'):
        rp.update_docs(plan, rp.gather(plan), root=str(tmp_path))


FAKE_SBATCH = """#!/usr/bin/env python3
import json, os, sys
calls = os.environ['FAKE_SBATCH_CALLS']
n = sum(1 for _ in open(calls)) if os.path.exists(calls) else 0
with open(calls, 'a') as f:
    f.write(json.dumps(sys.argv[1:]) + '\\n')
name = [a for a in sys.argv if a.startswith('--job-name=')][0]
if os.environ.get('FAKE_SBATCH_FAIL') and \
        os.environ['FAKE_SBATCH_FAIL'] in name:
    sys.stderr.write('sbatch: error: Batch job submission failed\\n')
    sys.exit(1)
print(f'{1000 + n};cluster')
"""


@pytest.fixture
def fake_sbatch(tmp_path, monkeypatch):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    sbatch = bin_dir / 'sbatch'
    sbatch.write_text(FAKE_SBATCH.replace('#!/usr/bin/env python3',
                                          '#!' + sys.executable))
    sbatch.chmod(sbatch.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / 'calls.jsonl'
    monkeypatch.setenv('PATH', f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv('FAKE_SBATCH_CALLS', str(calls))
    monkeypatch.delenv('CPUS_PER_TASK', raising=False)

    def read():
        return [json.loads(line) for line in calls.read_text().splitlines()]

    return read


def _flag(argv, name):
    found = [a.split('=', 1)[1] for a in argv if a.startswith(name + '=')]
    return found[0] if found else None


def _resnet32x4(plan):
    """The resnet32x4 teacher's runs (not the pool and ECCV variants)."""
    return [r for r in plan.runs if 'resnet32x4' in r.name
            and not re.search('pool|eccv', r.name)]


def test_slurm_submits_each_run_after_the_runs_it_needs(
        tmp_path, fake_sbatch):
    plan = rp.build_plan(rp.TABLES['sskd-cifar100'], seeds=[0],
                         work_dir=str(tmp_path / 'w'))
    runs = _resnet32x4(plan)
    lines = []
    status = rp.submit_slurm(plan, 'gpu', runs=runs, echo=lines.append)
    calls = fake_sbatch()
    names = [r.name for r in runs]
    assert names == [
        'resnet32x4_1xb64_cifar100', 'sskd_stage1_resnet32x4_1xb64_cifar100',
        'sskd_resnet32x4_resnet8x4_1xb64_cifar100/seed0',
        'sskd_resnet32x4_shufflenetv1_1xb64_cifar100/seed0',
        'sskd_resnet32x4_shufflenetv2_1xb64_cifar100/seed0'
    ]
    assert len(calls) == 5 and set(status.values()) == {'submitted'}
    ids = {n: str(1000 + i) for i, n in enumerate(names)}
    assert _flag(calls[0], '--dependency') is None
    assert _flag(calls[1], '--dependency') == 'afterok:1000'
    assert _flag(calls[2], '--dependency') == 'afterok:1000:1001'
    for argv, run in zip(calls, runs):
        assert argv[0] == '--parsable'
        assert _flag(argv, '--partition') == 'gpu'
        assert _flag(argv, '--gres') == 'gpu:1'
        assert _flag(argv, '--ntasks') == '1'
        assert _flag(argv, '--output') == osp.join(run.work_dir,
                                                   'slurm-%j.out')
        assert ('--kill-on-invalid-dep=yes' in argv) == bool(run.deps)
        wrap = argv[argv.index('--wrap') + 1].split()
        assert wrap[:5] == ['GPUS=1', 'GPUS_PER_NODE=1', 'CPUS_PER_TASK=5',
                            'bash', 'tools/slurm_train.sh']
        assert wrap[5:9] == ['gpu', 'reproduce-' + run.name.replace(
            '/', '-'), run.config, run.work_dir]
        options = wrap[10:] if len(wrap) > 9 else []
        assert options == [f'{k}={v}' for k, v in run.options]
        assert osp.isdir(run.work_dir)
    assert f"job {ids[names[2]]} after 1000, 1001; log " \
        f"{osp.join(runs[2].work_dir, 'slurm-1002.out')}" in lines[2]


def test_slurm_stops_the_dependants_of_a_refused_job(tmp_path, fake_sbatch,
                                                     monkeypatch):
    monkeypatch.setenv('FAKE_SBATCH_FAIL', 'sskd_stage1_resnet56')
    plan = rp.build_plan(rp.TABLES['sskd-cifar100'], seeds=[0],
                         work_dir=str(tmp_path / 'w'))
    runs = [r for r in plan.runs
            if 'resnet56' in r.name or 'resnet32x4' in r.name]
    lines = []
    status = rp.submit_slurm(plan, 'gpu', runs=runs, echo=lines.append)
    assert status['sskd_stage1_resnet56_1xb64_cifar100'] == 'failed'
    assert status['sskd_resnet56_resnet20_1xb64_cifar100/seed0'] == 'not run'
    assert status['sskd_resnet32x4_resnet8x4_1xb64_cifar100/seed0'] == \
        'submitted'
    assert any('Batch job submission failed' in line for line in lines)


def test_a_second_call_resumes_stopped_runs_and_waits_for_queued_jobs(
        tmp_path, fake_sbatch):
    plan = rp.build_plan(rp.TABLES['sskd-cifar100'], seeds=[0],
                         work_dir=str(tmp_path / 'w'))
    runs = _resnet32x4(plan)[:3]
    teacher, stage1, student = runs
    # stage 1 was stopped: MMEngine's last_checkpoint, no final checkpoint
    os.makedirs(stage1.work_dir)
    with open(osp.join(stage1.work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(stage1.work_dir, 'epoch_20.pth'))
    assert rp.train_argv(stage1)[-1] == '--resume'
    assert '--resume' not in rp.train_argv(teacher)
    rp.submit_slurm(plan, 'gpu', runs=runs, echo=lambda line: None)
    assert len(fake_sbatch()) == 3
    # squeue still lists the teacher's job (1000), not the others
    squeue = tmp_path / 'bin' / 'squeue'
    squeue.write_text(f'#!{sys.executable}\nimport sys\n'
                      "if '1000' in sys.argv: print('RUNNING')\n")
    squeue.chmod(squeue.stat().st_mode | stat.S_IEXEC)
    lines = []
    status = rp.submit_slurm(plan, 'gpu', runs=runs, echo=lines.append)
    assert status == {teacher.name: 'queued', stage1.name: 'submitted',
                      student.name: 'submitted'}
    assert 'job 1000 of an earlier call is still queued or running' in \
        lines[0]
    calls = fake_sbatch()[3:]
    assert len(calls) == 2
    assert _flag(calls[0], '--dependency') == 'afterok:1000'
    assert calls[0][-1].endswith(' --resume')
    assert _flag(calls[1], '--dependency') == 'afterok:1000:1003'


def test_slurm_dry_run_is_a_script_of_the_same_submissions(tmp_path,
                                                           fake_sbatch):
    plan = rp.build_plan(rp.TABLES['quest-imagenet'], seeds=[0],
                         work_dir=str(tmp_path / 'w'))
    script = rp.slurm_script(plan, 'gpu')
    path = tmp_path / 'submit.sh'
    path.write_text(script)
    subprocess.run(['bash', str(path)], check=True)
    calls = fake_sbatch()
    # the ImageNet recipes are 8xb32: 8 GPUs each, no --gpus needed
    assert [_flag(c, '--gres') for c in calls] == ['gpu:8', 'gpu:8']
    assert calls == [rp.sbatch_argv(r, 'gpu')[1:] for r in plan.runs]


def test_local_failure_stops_its_dependants_and_the_rest_goes_on(
        tmp_path, monkeypatch):
    plan = rp.build_plan(rp.TABLES['digits'], work_dir=str(tmp_path))

    def fake_argv(run, launcher='local', gpus=None, extra=(),
                  partition=None):
        # the teacher fails; every other run writes its checkpoint
        code = ('import sys; print("boom"); sys.exit(3)'
                if run.name == 'resnet20_1xb64_digits' else
                f'open({run.checkpoint!r}, "w").close()')
        return [sys.executable, '-c', code]

    monkeypatch.setattr(rp, 'train_argv', fake_argv)
    lines = []
    status = rp.execute(plan, echo=lines.append)
    assert status['resnet20_1xb64_digits'] == 'failed'
    for name in ('sskd_stage1_resnet20_1xb64_digits',
                 'kd_logits_resnet20_resnet8_1xb64_digits/seed0',
                 'sskd_resnet20_resnet8_1xb64_digits/seed0'):
        assert status[name] == 'not run'
    for name in ('resnet8_1xb64_digits/seed0',
                 'scratch_cifarnet_half_1xb128_digits_s',
                 'mfd_cifarnet_half_1xb128_digits_s/seed0'):
        assert status[name] == 'done'
    failed = next(line for line in lines if 'FAILED' in line)
    log = osp.join(str(tmp_path), 'resnet20_1xb64_digits', 'reproduce.log')
    assert 'resnet20_1xb64_digits (exit code 3)' in failed
    assert f'its log: {log}' in failed
    assert 'not run because of it: sskd_stage1_resnet20_1xb64_digits, ' \
        'kd_logits_resnet20_resnet8_1xb64_digits/seed0' in failed
    assert 'boom' in open(log).read()
    # a second call skips what is done and tries the failed ones again
    monkeypatch.setattr(rp, 'train_argv', lambda run, *a, **k: [
        sys.executable, '-c', f'open({run.checkpoint!r}, "w").close()'])
    status = rp.execute(plan, echo=lines.append)
    assert status['resnet8_1xb64_digits/seed0'] == 'skipped'
    assert status['resnet20_1xb64_digits'] == 'done'
    assert status['kd_logits_resnet20_resnet8_1xb64_digits/seed0'] == 'done'


def test_bad_input_says_what_to_fix(tmp_path, capsys):
    with pytest.raises(SystemExit):
        rp.parse_args(['quest-cifar'])
    err = capsys.readouterr().err
    assert "unknown table 'quest-cifar'; the tables are: quest-cifar100, " \
        'quest-imagenet, sskd-cifar100' in err and 'digits' in err
    for argv, message in [
        (['digits', '--update-docs'], '--update-docs goes with --gather'),
        (['digits', '--gpus', '2'], '--gpus goes with --launcher pytorch'),
        (['digits', '--launcher', 'slurm'], 'needs --partition'),
        (['digits', '--gather', '--launcher', 'pytorch'],
         '--launcher only apply when training'),
        (['digits', '--seeds', '0', '0'], 'repeats a seed'),
        (['digits', '--cfg-options', 'data_root'], 'expected KEY=VALUE'),
    ]:
        with pytest.raises(SystemExit):
            rp.parse_args(argv)
        assert message in capsys.readouterr().err, argv
    with pytest.raises(ValueError, match=r'randomness.seed: set by --seeds'):
        rp.main(['digits', '--dry-run', '--cfg-options',
                 'randomness.seed=3'])
    with pytest.raises(ValueError, match='--only nope: no run of digits'):
        rp.main(['digits', '--dry-run', '--only', 'nope'])
    # a teacher the plan does not train (--only): the run that writes it
    with pytest.raises(SystemExit) as err:
        rp.main(['digits', '--work-dir', str(tmp_path), '--only',
                 'kd_logits*'])
    text = str(err.value)
    assert (f'kd_logits_resnet20_resnet8_1xb64_digits/seed0 reads '
            f'{tmp_path}/resnet20_1xb64_digits/epoch_30.pth, which does not '
            'exist; the run resnet20_1xb64_digits writes it: python '
            'tools/train.py configs/teachers/resnet20_1xb64_digits.py') in text
    assert not os.listdir(tmp_path)  # nothing started
    # a teacher from outside the repository: where to get it
    with pytest.raises(SystemExit) as err:
        rp.main(['quest-imagenet', '--work-dir', str(tmp_path)])
    assert ('checkpoints/resnet50_8xb32_in1k.pth (model.teacher_ckpt of '
            'configs/quest/quest_layer4_resnet50_mobilenetv1_8xb32_in1k.py) '
            'does not exist and no run of this plan writes it: download '
            'https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet50_8xb32_in1k_20210831-ea4938fc.pth') in str(err.value)


def test_lambda_sweep_quotes_the_papers_numbers(plans):
    paper = rp.lambda_paper('configs/wcord/README.md')
    assert paper['label'] == 'resnet32x4 → resnet8x4'
    assert paper['values'] == {0.0: '79.12', 0.1: '83.50', 0.8: '84.5',
                               1.0: '84.3'}
    plan = plans['wcord-lambda']
    key = 'model.distiller.distill_losses.loss_wcord.gckt_weight'
    points = sorted({float(dict(r.options)[key]) for r in plan.runs
                     if r.variant})
    assert set(paper['values']) <= set(points)
    assert {r.config for r in plan.runs if r.variant} == {
        'configs/wcord/wcord_neck_resnet32x4_resnet8x4_1xb64_cifar100.py'}


def test_estimate_follows_the_zoo_flops():
    """Training FLOPs of an image: 2 x (3 x the student's MACs + the
    teacher's), the MACs those of configs/teachers/metafile.yml."""
    zoo = {m['Name']: m['Metadata'].get('FLOPs') for m in yaml.safe_load(
        open(osp.join(REPO, 'configs/teachers/metafile.yml')))['Models']}
    plan = rp.build_plan(rp.TABLES['crd-benchmark'], seeds=[0])
    runs = plan.by_name()
    vanilla = rp.run_cost(runs['resnet8x4_1xb64_cifar100/seed0'])
    assert vanilla['gflops'] * 1e9 == pytest.approx(
        6 * zoo['resnet8x4_1xb64_cifar100'])
    kd = rp.run_cost(runs['kd_logits_resnet32x4_resnet8x4_1xb64_cifar100'
                          '/seed0'])
    flops = 6 * zoo['resnet8x4_1xb64_cifar100'] + \
        2 * zoo['resnet32x4_1xb64_cifar100']
    assert kd['gflops'] * 1e9 == pytest.approx(flops)
    assert kd['gpu_hours'] == pytest.approx(
        50000 * 240 * flops / (rp.GPU_TFLOPS * 1e12) / 3600)
    # a network too small to fill the GPU: the data loader's rate
    small = rp.run_cost(runs['wrn_16_2_1xb64_cifar100/seed0'])
    assert 6 * zoo['wrn_16_2_1xb64_cifar100'] / (rp.GPU_TFLOPS * 1e12) < \
        1 / rp.LOADER_IMAGES[32]
    assert small['gpu_hours'] == pytest.approx(
        50000 * 240 / rp.LOADER_IMAGES[32] / 3600)


@pytest.mark.slow
def test_digits_table_end_to_end(digits_root, tmp_path, capsys):
    work = str(tmp_path / 'w')
    quick = ['--epochs', '1', '--seeds', '0', '--work-dir', work]
    assert rp.main(['digits', *quick, '--cfg-options',
                    f'data_root={digits_root}',
                    'train_dataloader.dataset.indices=64']) == 0
    out = capsys.readouterr().out
    assert '9 done' in out
    assert rp.main(['digits', '--gather', *quick]) == 0
    out = capsys.readouterr().out
    demo = load_tool('demo.py')
    for row in demo.ROWS:
        cells = next(line for line in out.splitlines()
                     if line.startswith(f'| {row.name} |')).split(' | ')
        assert 0 <= float(cells[1]) <= 100, row.name
    assert re.search(r'\| MFD student \(DigitsS\) \| [\d.]+ \| – \| '
                     r'[\d.]+ / [\d.]+ \|', out)
    assert '9 of 9 runs done' in out
    # a second call trains nothing
    assert rp.main(['digits', *quick, '--cfg-options',
                    f'data_root={digits_root}']) == 0
    assert '9 skipped' in capsys.readouterr().out
