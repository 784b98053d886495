# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Reproduce a paper's table with one command: plan, train, gather.

    python tools/reproduce.py --list
    python tools/reproduce.py TABLE --dry-run [--seeds S ...]
    python tools/reproduce.py TABLE [--seeds S ...] [--work-dir D]
        [--launcher local|pytorch|slurm] [--gpus N] [--partition P]
        [--epochs N] [--only RUN ...] [--cfg-options k=v ...]
    python tools/reproduce.py TABLE --gather [--work-dir D] [--update-docs]
    python tools/reproduce.py TABLE --estimate

A table is read from the repository: the rows, their configs (linked or
named in backticks) and the papers' numbers of the method READMEs'
results tables (``configs/*/README.md``; :data:`TABLES` says which), the
vanilla students of a "student" column from the metafiles
(``model-index.yml``), the runs a config needs from the config itself: a
``model.teacher_ckpt``, ``model.teacher_ss_ckpt`` or ``load_from`` of
``work_dirs/<config>/epoch_N.pth`` is the last checkpoint of that
config's run. ``digits`` is the demo's comparison (``tools/demo.py``'s
rows and settings).

The plan: the teachers (once, with the config's seed), then the stages
they feed (SSKD's stage 1: once), then per seed the students (vanilla and
distilled; a first stage read through ``load_from``, as AB's, FSP's and
FT's, per seed too). Every run is ``tools/train.py CONFIG --work-dir D
--cfg-options ...``, its work dir ``<work dir>/<config>`` (trained once)
or ``<work dir>/<config>/seed<S>``, and every student is pointed at the
checkpoint its teacher's run writes. A run whose final checkpoint
(``epoch_<max_epochs>.pth``) exists is skipped, so calling the command
again resumes the table. A failed run stops the runs that need it; the
others go on.

``--gather`` reads each run's MMEngine scalars log
(``<run>/<timestamp>/vis_data/scalars.json``): the last epoch's top-1
(and DEO_M, DEO_A of the fairness tables), and the best top-1 with its
epoch; prints the table as the README has it, ours beside the paper's
(mean ± sample std over the seeds), and every run with its log. A run
without a log is reported missing, one without its last epoch incomplete.
``--update-docs`` writes the "ours" columns of the README tables and the
``Results`` (with ``Training Log``) of every measured config's metafile.
"""
import argparse
import copy
import fnmatch
import functools
import glob
import heapq
import importlib.util
import json
import os
import os.path as osp
import re
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import yaml

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config, DictAction

from mmkd_plus.analysis import positive_int, set_epochs

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _tool(relpath: str):
    """A script of ``tools/`` as a module (by path: the scripts are no
    package)."""
    name = '_reproduce_' + osp.splitext(osp.basename(relpath))[0]
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = _tool('demo.py')  # the digits rows
wcord_lambda_sweep = _tool('analysis/wcord_lambda_sweep.py')  # lambda_1 grid

__all__ = [
    'TABLES', 'MdTable', 'read_tables', 'find_table', 'Target', 'Row',
    'Section', 'resolve', 'Run', 'External', 'Plan', 'build_plan',
    'train_argv', 'sbatch_argv', 'slurm_script', 'execute', 'submit_slurm',
    'read_run', 'gather', 'format_section', 'report', 'update_docs',
    'set_metafile_results', 'estimate', 'parse_args', 'main'
]

MODEL_INDEX = osp.join(REPO, 'model-index.yml')
# the keys through which a config reads another run's checkpoint; a
# stage read through load_from trains the student (one per seed), the
# others train the teacher's side (once)
LINKS = ('model.teacher_ckpt', 'model.teacher_ss_ckpt', 'load_from')
PER_SEED_LINK = 'load_from'
RUN_CKPT = re.compile(r'(?:\./)?work_dirs/([^/]+)/epoch_(\d+)\.pth')
# keys the plan sets itself: given in --cfg-options they would break it
PLAN_KEYS = {
    'train_cfg.max_epochs': '--epochs',
    'randomness.seed': '--seeds',
    'work_dir': '--work-dir',
    'model.teacher_ckpt': 'the plan (each student reads its teacher run)',
    'model.teacher_ss_ckpt': 'the plan (SSKD reads its stage-1 run)',
    'load_from': 'the plan (a stage reads the stage before it)',
}
# metafile dataset names by a config name's data suffix (<n>xb<b>_<data>)
DATASETS = {
    'cifar100': 'CIFAR-100',
    'cifar10': 'CIFAR-10',
    'in1k': 'ImageNet-1k',
    'digits': 'Digits',
    'digits_s': 'DigitsS',
    'cifar10s': 'CIFAR-10S',
    'utkface': 'UTKFace',
    'celeba': 'CelebA',
}
METRIC_NAMES = {
    'top1': 'Top 1 Accuracy',
    'DEO_A': 'DEO_A',
    'DEO_M': 'DEO_M'
}
ZOO_README = 'configs/teachers/README.md'
DEFAULT_SEEDS = (0, 1, 2)


def _rel(path: str) -> str:
    """``path`` relative to the repository when it is inside it."""
    path = osp.abspath(osp.join(REPO, path))
    return osp.relpath(path, REPO) if path.startswith(REPO + os.sep) \
        else path


def _abs(path: str) -> str:
    return osp.normpath(osp.join(REPO, path))


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


@functools.lru_cache(maxsize=None)
def config_files() -> Dict[str, str]:
    """Every leaf config (not ``_base_``) by its name, repo-relative."""
    found: Dict[str, str] = {}
    for path in sorted(
            glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                      recursive=True)):
        rel = _rel(path)
        if '_base_' in rel.split(os.sep) or _stem(path).startswith('_'):
            continue
        if _stem(path) in found:
            raise ValueError(f'two configs are named {_stem(path)}: '
                             f'{found[_stem(path)]} and {rel}')
        found[_stem(path)] = rel
    return found


@functools.lru_cache(maxsize=None)
def load_config(config: str) -> Config:
    """The config (cached: never change the returned object)."""
    return Config.fromfile(_abs(config))


# --------------------------------------------------------------------------
# markdown tables


class MdTable(NamedTuple):
    """A markdown table of a README: ``first`` is the header's line index,
    the rows follow the separator line."""
    readme: str
    first: int
    header: List[str]
    rows: List[List[str]]
    heading: Optional[str]


def split_cells(line: str) -> List[str]:
    """The cells of a markdown table line."""
    return [c.strip() for c in line.strip().strip('|').split('|')]


def join_cells(cells: Sequence[str]) -> str:
    return '| ' + ' | '.join(cells) + ' |'


def read_tables(readme: str, text: Optional[str] = None) -> List[MdTable]:
    """Every table of a README (outside code blocks), each with the last
    heading above it."""
    if text is None:
        with open(_abs(readme), encoding='utf-8') as f:
            text = f.read()
    lines = text.splitlines()
    tables, heading, fence, i = [], None, False, 0
    separator = re.compile(r'^\|[\s:|-]+\|\s*$')
    while i < len(lines):
        line = lines[i]
        if line.startswith('```'):
            fence = not fence
        elif not fence and line.startswith('#'):
            heading = line.lstrip('#').strip()
        elif (not fence and line.startswith('|') and i + 1 < len(lines)
              and separator.match(lines[i + 1])):
            rows, j = [], i + 2
            while j < len(lines) and lines[j].startswith('|'):
                rows.append(split_cells(lines[j]))
                j += 1
            tables.append(
                MdTable(readme, i, split_cells(line), rows, heading))
            i = j
            continue
        i += 1
    return tables


_LINK = re.compile(r'\]\(([^)\s]+\.py)\)')
_TICK = re.compile(r'`([\w+.-]+?)(?:\.py)?`')


def cell_configs(cell: str, readme: str) -> List[str]:
    """The configs a cell names: links to ``.py`` files (relative to the
    README) and config names in backticks."""
    found = [
        _rel(osp.join(osp.dirname(readme), target))
        for target in _LINK.findall(cell)
    ]
    found += [
        config_files()[name] for name in _TICK.findall(cell)
        if name in config_files()
    ]
    return found


def plain(cell: str) -> str:
    """A cell's text without link targets and backticks."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', cell).replace('`', '')
    return ' '.join(text.split())


# --------------------------------------------------------------------------
# metafiles


@functools.lru_cache(maxsize=None)
def model_index() -> Dict[str, dict]:
    """Every metafile model by its config: the model's entry and
    ``metafile`` (repo-relative)."""
    with open(MODEL_INDEX) as f:
        metafiles = yaml.safe_load(f)['Import']
    models = {}
    for metafile in metafiles:
        with open(_abs(metafile)) as f:
            for model in yaml.safe_load(f).get('Models') or []:
                models[model['Config']] = dict(model, metafile=metafile)
    return models


def _data(config: str) -> str:
    """The data of a config's name (``cifar100``, ``digits_s``; a stage's
    ``cifar100_init`` is ``cifar100``)."""
    match = re.search(r'_\d+xb\d+_(.+)$', _stem(config))
    if not match:
        return ''
    parts = match.group(1).split('_')
    for end in range(len(parts), 0, -1):
        if '_'.join(parts[:end]) in DATASETS:
            return '_'.join(parts[:end])
    return match.group(1)


def _method(config: str) -> str:
    """The method of a config's name: ``quest``, ``crd+kd``, ``hkd``."""
    return _stem(config).split('_')[0]


@functools.lru_cache(maxsize=None)
def method_keys() -> frozenset:
    """The methods of the metafiles' configs: what a results column may
    be named after (``QuEST (paper)``, ``CRD+KD``)."""
    return frozenset(_method(c) for c in model_index())


# --------------------------------------------------------------------------
# the tables


class SectionDef(NamedTuple):
    """A README results table: the one after a heading holding
    ``heading`` whose header holds every string of ``header``; only its
    rows whose first cell holds ``rows``; with ``column`` only that
    column's configs and numbers (a column per dataset)."""
    readme: str
    header: Tuple[str, ...]
    heading: Optional[str] = None
    rows: Optional[str] = None
    column: Optional[str] = None


class TableDef(NamedTuple):
    """A paper's table: ``kind`` ``readme`` (rows of README tables),
    ``lambda`` (WCoRD's lambda_1 sweep) or ``digits`` (the demo)."""
    name: str
    title: str
    kind: str
    sections: Tuple[SectionDef, ...] = ()
    seeds: Tuple[int, ...] = DEFAULT_SEEDS


def _baseline_sections() -> Tuple[SectionDef, ...]:
    """The CIFAR-100 table of every baseline's README
    (``configs/baselines/*/README.md``)."""
    return tuple(
        SectionDef(_rel(readme), ('teacher (paper)', 'student (paper)'))
        for readme in sorted(
            glob.glob(osp.join(REPO, 'configs', 'baselines', '*',
                               'README.md'))))


def _mfd(data: str, column: str, table: int) -> TableDef:
    return TableDef(
        f'mfd-{data}', f'MFD (CVPR 2021), supplement Table {table}: '
        f'{column}', 'readme', (SectionDef(
            'configs/mfd/README.md', ('what it adds', column, 'ours'),
            column=column), ), (0, 1, 2, 3))


TABLES: Dict[str, TableDef] = {
    t.name: t
    for t in (
        TableDef('quest-cifar100',
                 'QuEST (ECCV 2020), supplement Table 1: CIFAR-100',
                 'readme', (SectionDef('configs/quest/README.md',
                                       ('QuEST (paper)', 'QuEST (ours)'),
                                       'CIFAR-100'), )),
        TableDef('quest-imagenet', 'QuEST (ECCV 2020), ImageNet-1k',
                 'readme', (SectionDef('configs/quest/README.md',
                                       ('config', 'schedule', 'ours'),
                                       'Other settings', 'ImageNet'), )),
        TableDef('sskd-cifar100',
                 "SSKD (ECCV 2020), the CIFAR-100 table of the authors' "
                 'README', 'readme',
                 (SectionDef('configs/sskd/README.md',
                             ('stage 2', 'SSKD (paper)', 'SSKD (ours)'),
                             'CIFAR-100'), )),
        TableDef('wcord-table1', 'WCoRD (CVPR 2021), supplement Table 1: '
                 'CIFAR-100', 'readme',
                 (SectionDef('configs/wcord/README.md',
                             ('WCoRD+KD', 'ours (WCoRD)'), 'CIFAR-100'),
                  SectionDef('configs/baselines/crd/README.md',
                             ('CRD+KD (paper)', 'ours'), 'WCoRD'))),
        TableDef('wcord-lambda', 'WCoRD (CVPR 2021), supplement Table 2: '
                 'the lambda_1 sweep', 'lambda',
                 (SectionDef('configs/wcord/README.md', ('Table 2', )), )),
        _mfd('cifar10s', 'CIFAR-10S', 2),
        _mfd('utkface', 'UTKFace', 3),
        _mfd('celeba', 'CelebA', 4),
        TableDef('crd-benchmark', 'CRD (ICLR 2020), Table 1: the thirteen '
                 'baselines on their CIFAR-100 pairs', 'readme',
                 _baseline_sections()),
        TableDef('digits', "The demo's comparison on the bundled digits "
                 '(tools/demo.py)', 'digits', seeds=(0, 1, 2)),
    )
}


def _matches(md: MdTable, sec: SectionDef) -> bool:
    header = ' | '.join(md.header).lower()
    return all(h.lower() in header for h in sec.header) and (
        sec.heading is None
        or sec.heading.lower() in (md.heading or '').lower())


def find_table(name: str, sec: SectionDef,
               text: Optional[str] = None) -> MdTable:
    """The one table of ``sec.readme`` that ``sec`` describes.

    Raises:
        ValueError: None or several match: names the README, what was
            looked for, the tables it has and what to change.
    """
    tables = read_tables(sec.readme, text)
    found = [t for t in tables if _matches(t, sec)]
    if len(found) == 1:
        return found[0]
    wanted = f'a header with {list(sec.header)}' + (
        f' after a heading with {sec.heading!r}' if sec.heading else '')
    have = '\n'.join(f'  after {t.heading!r}: {join_cells(t.header)}'
                     for t in tables)
    raise ValueError(
        f'{sec.readme}: table {name} reads its results table, the one '
        f'with {wanted}; the README has {len(found)} such tables. Its '
        f'tables:\n{have}\nGive the README one such table again, or change '
        f"the SectionDef of {name!r} in TABLES (tools/reproduce.py) to "
        'the table it has now.')


# --------------------------------------------------------------------------
# a table's rows and what each column reads


class Column(NamedTuple):
    """A results column: ``kind`` is ``paper``, ``ours``, ``configs``,
    ``key`` or ``reference``; ``role`` the target it is about
    (``teacher``, ``student``, ``teacher/student``, a method such as
    ``quest``, or ``''``: the row's own); ``metric`` ``top1``, ``DEO``
    (DEO_M / DEO_A) or ``all`` (top-1, and DEO_A / DEO_M of a fairness
    run); ``index`` its cell in a row."""
    header: str
    kind: str
    role: Optional[str] = None
    metric: str = 'all'
    index: Optional[int] = None


def classify(header: str, index: Optional[int] = None) -> Column:
    """What a results table's column holds, from its header."""
    low = header.lower().strip()
    bare = ' '.join(
        re.sub(r'\((?:paper|ours)\)|\bours\b|\bpaper\b|[()]', ' ',
               low).split())
    if bare in ('top-1', ''):
        role = ''
    elif 'teacher' in bare and 'student' in bare and '/' in bare:
        role = 'teacher/student'
    elif bare == 'teacher':
        role = 'teacher'
    elif bare in ('student', 'vanilla student'):
        role = 'student'
    elif bare.replace(' ', '') in method_keys():
        role = bare.replace(' ', '')
    else:
        role = None
    if 'ours' in low:
        return Column(header, 'ours', role or '', index=index)
    if 'config' in low:
        return Column(header, 'configs', index=index)
    if role is None or (role == '' and 'paper' not in low):
        return Column(header, 'key', index=index)
    return Column(header, 'paper', role, index=index)


@dataclass
class Target:
    """A config to measure in a row: trained ``once`` (a teacher) or per
    seed; ``variant`` names extra ``options`` (a sweep's point)."""
    config: str
    once: bool = False
    variant: Optional[str] = None
    options: Tuple[Tuple[str, Any], ...] = ()


@dataclass
class Row:
    """A row of a results table: its cells, its targets by role (its own,
    ``own``, first: the configs it names), the configs it names."""
    label: str
    cells: List[str]
    targets: Dict[str, Target]
    own: List[str] = field(default_factory=list)
    listed: List[str] = field(default_factory=list)


@dataclass
class Section:
    """One results table of a paper's table (a README table, or one made
    here for ``lambda`` and ``digits``); ``column`` the one dataset
    column it measures, if any."""
    title: str
    columns: List[Column]
    rows: List[Row]
    table: Optional[MdTable] = None
    column: Optional[str] = None


def checkpoint_refs(config: str) -> List[Tuple[str, str]]:
    """``(key, path)`` of every checkpoint ``config`` reads (:data:`LINKS`
    and the vocabulary files of QuEST's hooks)."""
    cfg = load_config(config)
    model = cfg.get('model') or {}
    refs = [(key, model.get(key.split('.', 1)[1]) if '.' in key else
             cfg.get(key)) for key in LINKS]
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if hook.get('vocab_file'):
            refs.append((f'custom_hooks.{i}.vocab_file', hook['vocab_file']))
    return [(k, v) for k, v in refs if v]


def run_links(config: str) -> List[Tuple[str, str]]:
    """``(key, config)`` of every run of a config whose checkpoint
    ``config`` reads (``work_dirs/<config>/epoch_N.pth``)."""
    out = []
    for key, path in checkpoint_refs(config):
        match = RUN_CKPT.fullmatch(path)
        if match and match.group(1) in config_files():
            out.append((key, config_files()[match.group(1)]))
        elif match:
            raise ValueError(
                f'{config}: {key}={path!r} names the run of '
                f'{match.group(1)}, but no config has that name')
    return out


def _needs(config: str) -> List[str]:
    """Every config whose run ``config`` needs, directly or not."""
    return [n for _, dep in run_links(config) for n in [dep, *_needs(dep)]]


def teacher_config(config: str) -> Optional[str]:
    """The config whose run writes ``config``'s ``model.teacher_ckpt``."""
    return dict(run_links(config)).get('model.teacher_ckpt')


def _row(sec: SectionDef, columns: List[Column], cells: List[str],
         where: str) -> Row:
    """A README row: a target per config it names (per seed; not the
    stages those read, which the plan adds), the teacher its first
    target reads (once) and the vanilla student of a student column."""
    source = [cells[c.index] for c in columns if c.kind == 'paper'
              ] if sec.column else cells
    listed = list(dict.fromkeys(
        c for cell in source for c in cell_configs(cell, sec.readme)))
    needed = {n for c in listed for n in _needs(c)}
    targets: Dict[str, Target] = {}
    for config in listed:
        if config in needed or config not in model_index():
            continue  # a stage of another, or another name of one
        if _method(config) in targets:
            raise ValueError(
                f'{where}: two {_method(config)} configs '
                f'({targets[_method(config)].config}, {config}); a row '
                'measures one config per method')
        targets[_method(config)] = Target(config)
    own = list(targets)
    if not targets:
        if sec.column:  # no config of this method on this dataset
            return Row(plain(cells[0]), cells, {})
        raise ValueError(
            f'{where}: the row names no config of a metafile (a link to '
            f'the .py file or its name in backticks): {join_cells(cells)}')
    first = targets[own[0]].config
    teacher = teacher_config(first)
    if teacher:
        targets['teacher'] = Target(teacher, once=True)
    # the vanilla student of a student column: the metafile's (a variant
    # of a pair, e.g. SSKD's ECCV weights, names none: '–' there)
    side = (model_index()[first].get('Metadata') or {}).get('Student')
    if {'student', 'teacher/student'} & {c.role for c in columns} \
            and (side or {}).get('Config'):
        targets['student'] = Target(side['Config'])
    return Row(plain(cells[0]), cells, targets, own, listed)


def _readme_section(name: str, sec: SectionDef) -> Section:
    md = find_table(name, sec)
    columns = [classify(h, i) for i, h in enumerate(md.header)]
    if sec.column:
        (picked, ) = [c for c in columns if c.header == sec.column]
        paper = picked._replace(header=f'{sec.column} (paper)',
                                kind='paper', role='')
        columns = [columns[0], paper] + [
            c for c in columns if c.kind == 'ours']
    rows = []
    for i, cells in enumerate(md.rows):
        where = f'{sec.readme} line {md.first + 3 + i}'
        if len(cells) != len(md.header):
            raise ValueError(f'{where}: {len(cells)} cells, its header '
                             f'{len(md.header)}')
        if not sec.rows or sec.rows in cells[0]:
            rows.append(_row(sec, columns, cells, where))
    title = f'{sec.readme}: {md.heading or "results"}' + (
        f', {sec.column}' if sec.column else '')
    return Section(title, columns, rows, md, sec.column)


def _pair_key(label: str) -> str:
    return label.lower().replace('-', '_').replace(' ', '')


def lambda_paper(readme: str) -> dict:
    """The paragraph of WCoRD's README that quotes the supplement's
    Table 2: its pair, metric and numbers by lambda_1."""
    with open(_abs(readme), encoding='utf-8') as f:
        paragraphs = re.split(r'\n\s*\n', f.read())
    found = [' '.join(p.split()) for p in paragraphs
             if 'Table 2' in p and 'λ1' in p
             and not p.lstrip().startswith('|')]
    if len(found) != 1:
        raise ValueError(f'{readme}: expected one paragraph quoting Table '
                         f'2 and λ1, found {len(found)}')
    text = found[0]
    pair = re.search(r'\(([\w-]+) → ([\w-]+)\)', text)
    metric = re.search(r'metric is labelled (\w+)', text)
    values = re.findall(r'(\d+(?:\.\d+)?) at (?:λ1 = )?(\d+(?:\.\d+)?)',
                        text)
    if not pair or not values:
        raise ValueError(f'{readme}: the Table 2 paragraph names no pair '
                         '"(teacher → student)" or no "<value> at <λ1>"')
    return dict(
        label=f'{pair.group(1)} → {pair.group(2)}',
        metric=metric.group(1) if metric else 'top-1',
        values={float(lam): value
                for value, lam in values})


def _lambda_section(sec: SectionDef) -> Section:
    """The sweep of the pair Table 2 names, on its WCoRD config (the row
    of that pair in WCoRD's Table 1)."""
    paper = lambda_paper(sec.readme)
    table1 = TABLES['wcord-table1']
    found = [
        r.targets['wcord'].config
        for r in _readme_section(table1.name, table1.sections[0]).rows
        if _pair_key(r.label) == _pair_key(paper['label'])
        and 'wcord' in r.targets
    ]
    if len(found) != 1:
        raise ValueError(
            f"{sec.readme}: Table 2's pair {paper['label']} is not a row "
            'of its Table 1 with a WCoRD config')
    config = found[0]
    teacher = teacher_config(config)
    key = wcord_lambda_sweep.KEY
    rows = []
    for lam in wcord_lambda_sweep.LAMBDAS:
        label = f'λ1 = {lam:g}'
        targets = {
            '': Target(config, variant=f'lambda1_{lam:g}',
                       options=((key, lam), ))
        }
        if teacher:
            targets['teacher'] = Target(teacher, once=True)
        cells = [label, str(paper['values'].get(float(lam), '–')), '',
                 f'`{_stem(config)}`']
        rows.append(Row(label, cells, targets, ['']))
    columns = [
        Column('λ1 (λ2 = 0.1)', 'key', index=0),
        Column(f"{paper['metric']} (paper)", 'paper', '', index=1),
        Column('top-1 (ours)', 'ours', '', 'top1'),
        Column('config', 'configs', index=3)
    ]
    return Section(
        f"{sec.readme}: Table 2, {paper['label']}, {key} = λ1", columns,
        rows)


def _digits_section() -> Section:
    readers = {
        n
        for r in demo.ROWS
        for n in (r.teacher, r.load_from, *(r.ckpt_options or {}).values())
        if n
    }
    rows = [
        Row(r.name, [r.name, f'`{_stem(r.config)}`'],
            {'': Target(r.config, once=r.name in readers)}, [''])
        for r in demo.ROWS
    ]
    columns = [
        Column('model', 'key', index=0),
        Column('top-1 (ours)', 'ours', '', 'top1'),
        Column('reference: mean ± std over seeds', 'reference', ''),
        Column('DEO_M / DEO_A (ours)', 'ours', '', 'DEO'),
        Column('config', 'configs', index=1)
    ]
    return Section('the digits demo (tools/demo.py)', columns, rows)


def resolve(table: TableDef) -> List[Section]:
    """The sections of ``table``, each row with the configs it measures;
    a row also gets the targets of the rows of its pair in the table's
    other sections (WCoRD's row: CRD's configs)."""
    if table.kind == 'digits':
        return [_digits_section()]
    if table.kind == 'lambda':
        return [_lambda_section(s) for s in table.sections]
    sections = [_readme_section(table.name, s) for s in table.sections]
    rows = [r for s in sections for r in s.rows]
    for row in rows:
        for other in rows:
            if _pair_key(other.label) == _pair_key(row.label):
                for role in other.own:
                    row.targets.setdefault(role, other.targets[role])
    return sections


# --------------------------------------------------------------------------
# the plan


def cli_value(value: Any) -> str:
    """``value`` as ``--cfg-options`` writes it.

    Raises:
        ValueError: MMEngine's parser would read the text back as another
            value (a string with spaces or commas, a dict).
    """
    if isinstance(value, (list, tuple)):
        inner = ','.join(cli_value(v) for v in value)
        text = f'[{inner}]' if isinstance(value, list) else f'({inner})'
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    if DictAction._parse_iterable(text) != value:
        raise ValueError(f'{value!r} cannot be given as --cfg-options')
    return text


def config_diff(old: Any, new: Any, prefix: str = '') -> List[tuple]:
    """``(key, value)`` of every leaf of ``new`` that differs from
    ``old`` (dicts by key, lists of one length by index)."""
    if isinstance(new, dict) and isinstance(old, dict):
        out = []
        for key, value in new.items():
            out += config_diff(old.get(key, _MISSING), value,
                               f'{prefix}{key}.')
        return out
    if (isinstance(new, (list, tuple)) and isinstance(old, (list, tuple))
            and len(new) == len(old) and any(
                isinstance(v, dict) for v in new)):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += config_diff(a, b, f'{prefix}{i}.')
        return out
    return [] if old == new else [(prefix[:-1], new)]


_MISSING = object()


def epoch_options(config: str, epochs: int) -> Tuple[List[tuple], int]:
    """The options that make ``config`` train ``epochs`` epochs
    (``mmkd_plus.analysis.set_epochs``: every ``T_max``, a FitNet hint
    stage in proportion) and its last epoch then."""
    cfg = load_config(config)
    new = copy.deepcopy(cfg)
    set_epochs(new, epochs)
    return (config_diff(cfg.to_dict(), new.to_dict()),
            new.train_cfg.max_epochs)


@dataclass
class Run:
    """One training run: ``tools/train.py config --work-dir work_dir
    --cfg-options options``; ``deps`` are the runs whose checkpoints it
    reads; ``epochs`` its last epoch."""
    name: str
    config: str
    work_dir: str
    epochs: int
    seed: Optional[int] = None
    options: List[Tuple[str, str]] = field(default_factory=list)
    deps: List[str] = field(default_factory=list)
    once: bool = False
    metric: str = 'accuracy'
    variant: Optional[str] = None

    @property
    def checkpoint(self) -> str:
        return osp.join(self.work_dir, f'epoch_{self.epochs}.pth')


class External(NamedTuple):
    """A file a run reads that no run of the plan writes."""
    path: str
    key: str
    config: str


@dataclass
class Plan:
    """The runs of a table in the order they train, the files they need
    from outside, the root of their work dirs and the seeds."""
    table: TableDef
    sections: List[Section]
    runs: List[Run]
    externals: List[External]
    root: str
    seeds: List[int]
    epochs: Optional[int] = None

    def by_name(self) -> Dict[str, Run]:
        return {r.name: r for r in self.runs}

    def runs_of(self, target: Target) -> List[Run]:
        """The runs of a row's target (the one, or one per seed)."""
        seeds = [None] if target.once else self.seeds
        names = [_run_name(target.config, s, target.variant) for s in seeds]
        runs = self.by_name()
        return [runs[n] for n in names if n in runs]


def _run_name(config: str, seed: Optional[int],
              variant: Optional[str] = None) -> str:
    parts = [_stem(config)] + ([variant] if variant else []) + (
        [f'seed{seed}'] if seed is not None else [])
    return '/'.join(parts)


def _metric_of(config: str) -> str:
    evaluator = load_config(config).get('val_evaluator') or {}
    kind = str(evaluator.get('type', '')).split('.')[-1]
    return 'fairness' if kind == 'FairnessMetric' else 'accuracy'


def _seed_options(config: str, seed: int) -> List[tuple]:
    out = [('randomness.seed', seed)]
    if 'seed' in load_config(config).train_dataloader.dataset:
        # the fairness datasets' draw (which images are grey), as MFD does
        out.append(('train_dataloader.dataset.seed', seed))
    return out


class _Builder:
    """Adds runs and their dependencies (found in the configs)."""

    def __init__(self, root: str, epochs: Optional[int]):
        self.root, self.epochs = root, epochs
        self.runs: Dict[str, Run] = {}
        self.externals: List[External] = []

    def add(self, target: Target, seed: Optional[int]) -> str:
        name = _run_name(target.config, seed, target.variant)
        if name in self.runs:
            return name
        config = target.config
        options, deps = [], []
        links = dict(run_links(config))
        for key, path in checkpoint_refs(config):
            if key in links:
                dep = self.add(
                    Target(links[key], once=key != PER_SEED_LINK),
                    seed if key == PER_SEED_LINK else None)
                deps.append(dep)
                options.append((key, self.runs[dep].checkpoint))
            elif External(path, key, config) not in self.externals:
                self.externals.append(External(path, key, config))
        if seed is not None:
            options += _seed_options(config, seed)
        options += list(target.options)
        epochs = load_config(config).train_cfg.max_epochs
        if self.epochs is not None:
            shorter, epochs = epoch_options(config, self.epochs)
            options += shorter
        self.runs[name] = Run(
            name,
            config,
            osp.join(self.root, name),
            epochs,
            seed,
            [(k, cli_value(v)) for k, v in options],
            deps,
            once=seed is None,
            metric=_metric_of(config),
            variant=target.variant)
        return name


def _digits_runs(builder: _Builder, section: Section,
                 seeds: Sequence[int]) -> None:
    """The demo's rows as runs: the options are what ``demo.build_cfg``
    changes in each config (data share, epochs, seed, checkpoints)."""
    settings = demo.demo_settings(demo.parse_args([]))
    rows = {r.name: r for r in demo.ROWS}
    for row, spec in zip(section.rows, demo.ROWS):
        target = row.targets['']
        for seed in [None] if target.once else seeds:
            name = _run_name(spec.config, seed)
            epochs = builder.epochs if builder.epochs is not None else (
                spec.epochs or (None if spec.whole_split else
                                settings['student_epochs']))
            needs = [
                n for n in (spec.teacher, spec.load_from, *(
                    spec.ckpt_options or {}).values()) if n
            ]
            deps = [_run_name(rows[n].config, None) for n in needs]
            checkpoints = {
                n: builder.runs[d].checkpoint
                for n, d in zip(needs, deps)
            }
            work_dir = osp.join(builder.root, name)
            cfg = demo.build_cfg(spec, work_dir, 'data/digits',
                                 settings['share_images'], epochs,
                                 checkpoints, seed)
            raw = load_config(spec.config).to_dict()
            new = cfg.to_dict()
            for key in ('work_dir', 'log_level'):
                new.pop(key, None)
            # the checkpoints and the seed always, as in the other tables
            keys = [k for k, n in (('model.teacher_ckpt', spec.teacher),
                                   ('load_from', spec.load_from)) if n]
            keys += list(spec.ckpt_options or {})
            keys += ['randomness.seed'] if seed is not None else []
            options = [(k, _lookup(new, k)) for k in keys]
            options += [(k, v) for k, v in config_diff(raw, new)
                        if k not in keys]
            builder.runs[name] = Run(
                name,
                spec.config,
                work_dir,
                cfg.train_cfg.max_epochs,
                seed, [(k, cli_value(v)) for k, v in options],
                deps,
                once=seed is None,
                metric=_metric_of(spec.config))


def _lookup(cfg: dict, key: str) -> Any:
    for part in key.split('.'):
        cfg = cfg[part]
    return cfg


def _order(runs: Dict[str, Run], seeds: Sequence[int]) -> List[Run]:
    """Dependencies first; then teachers, the stages they feed, and the
    students seed by seed, each in the table's order."""
    position = {name: i for i, name in enumerate(runs)}

    def rank(run: Run) -> tuple:
        phase = (0 if not run.deps else 1) if run.once else 2
        seed = seeds.index(run.seed) if run.seed in seeds else -1
        return phase, seed, position[run.name]

    waiting = {n: set(r.deps) for n, r in runs.items()}
    ready = [(rank(r), n) for n, r in runs.items() if not r.deps]
    heapq.heapify(ready)
    order = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(runs[name])
        for other, deps in waiting.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, (rank(runs[other]), other))
    return order


def _root(work_dir: Optional[str], epochs: Optional[int]) -> str:
    """The work dir's root: ``work_dirs`` (where the configs read their
    teachers), ``work_dirs/epochs<N>`` for a shortened plan; paths inside
    the repository are given relative to it (the commands run there)."""
    if work_dir is None:
        return 'work_dirs' if epochs is None else f'work_dirs/epochs{epochs}'
    return _rel(osp.abspath(work_dir))


def build_plan(table: TableDef,
               seeds: Optional[Sequence[int]] = None,
               work_dir: Optional[str] = None,
               epochs: Optional[int] = None) -> Plan:
    """The runs of ``table`` with ``seeds`` (default: the table's), work
    dirs under ``work_dir`` and, with ``epochs``, every run shortened to
    that many epochs (its students read the shortened teachers).

    Raises:
        ValueError: A config the README lists is in no run (it would go
            unmeasured), or the README is not as expected.
    """
    sections = resolve(table)
    seeds = list(seeds or table.seeds)
    builder = _Builder(_root(work_dir, epochs), epochs)
    if table.kind == 'digits':
        _digits_runs(builder, sections[0], seeds)
    else:
        for sec in sections:
            for row in sec.rows:
                for target in row.targets.values():
                    for seed in [None] if target.once else seeds:
                        builder.add(target, seed)
    planned = {r.config for r in builder.runs.values()}
    for sec in sections:
        for row in sec.rows:
            for config in row.listed:
                if config not in planned and _alias_of(config,
                                                       planned) is None:
                    raise ValueError(
                        f'{sec.title}, row {row.label!r}: {config} is in '
                        'no run of the plan')
    return Plan(table, sections, _order(builder.runs, seeds),
                builder.externals, builder.root, seeds, epochs)


def _alias_of(config: str, planned) -> Optional[str]:
    """The planned config that ``config`` only renames (the same merged
    config), if any."""
    merged = load_config(config).to_dict()
    for other in sorted(planned):
        if load_config(other).to_dict() == merged:
            return other
    return None


# --------------------------------------------------------------------------
# commands and launchers


def gpus_of(run: Run, gpus: Optional[int] = None) -> int:
    """``gpus``, else the GPUs of the run's config name (``8xb32``: 8)."""
    if gpus is not None:
        return gpus
    match = re.search(r'_(\d+)xb\d+_', _stem(run.config))
    return int(match.group(1)) if match else 1


def job_name(run: Run) -> str:
    return 'reproduce-' + run.name.replace('/', '-')


def train_argv(run: Run,
               launcher: str = 'local',
               gpus: Optional[int] = None,
               extra: Sequence[str] = (),
               partition: Optional[str] = None) -> List[str]:
    """The command that trains ``run`` (run from the repository root):
    ``python tools/train.py`` (local), ``bash tools/dist_train.sh``
    (pytorch) or ``bash tools/slurm_train.sh`` with its environment
    (slurm); ``extra`` are more ``--cfg-options``. A run that was stopped
    (its work dir has MMEngine's ``last_checkpoint`` but not the final
    checkpoint) goes on with ``--resume``."""
    options = [f'{k}={v}' for k, v in run.options] + list(extra)
    tail = ['--cfg-options', *options] if options else []
    if _stopped(run):
        tail.append('--resume')
    n = gpus_of(run, gpus)
    if launcher == 'local':
        return [
            'python', 'tools/train.py', run.config, '--work-dir',
            run.work_dir, *tail
        ]
    if launcher == 'pytorch':
        return [
            'bash', 'tools/dist_train.sh', run.config,
            str(n), '--work-dir', run.work_dir, *tail
        ]
    if launcher == 'slurm':
        return [
            f'GPUS={n}', f'GPUS_PER_NODE={min(n, 8)}',
            f'CPUS_PER_TASK={_cpus_per_task()}', 'bash',
            'tools/slurm_train.sh', partition or 'PARTITION',
            job_name(run), run.config, run.work_dir, *tail
        ]
    raise ValueError(f'unknown launcher {launcher!r}')


def _stopped(run: Run) -> bool:
    return not _done(run) and osp.isfile(
        _abs(osp.join(run.work_dir, 'last_checkpoint')))


def _cpus_per_task() -> int:
    return int(os.environ.get('CPUS_PER_TASK', 5))


def sbatch_argv(run: Run,
                partition: str,
                gpus: Optional[int] = None,
                after: Sequence[str] = (),
                extra: Sequence[str] = ()) -> List[str]:
    """The ``sbatch`` that submits ``run``: a batch job of the run's GPUs
    whose script is ``tools/slurm_train.sh`` (its ``srun`` starts one task
    per GPU in the job's allocation), started only after the jobs
    ``after`` ended well (``afterok``; ``--kill-on-invalid-dep`` cancels
    it when one of them failed). Its output goes to
    ``<work dir>/slurm-<job id>.out``."""
    n = gpus_of(run, gpus)
    argv = [
        'sbatch', '--parsable', f'--job-name={job_name(run)}',
        f'--partition={partition}', f'--chdir={REPO}',
        f"--output={osp.join(run.work_dir, 'slurm-%j.out')}",
        f'--ntasks={n}', f'--ntasks-per-node={min(n, 8)}',
        f'--gres=gpu:{min(n, 8)}', f'--cpus-per-task={_cpus_per_task()}'
    ]
    if after:
        argv += [
            f"--dependency=afterok:{':'.join(after)}",
            '--kill-on-invalid-dep=yes'
        ]
    return argv + [
        '--wrap',
        shlex.join(train_argv(run, 'slurm', gpus, extra, partition))
    ]


def _shell(argv: Sequence[str]) -> str:
    """``argv`` for a shell; a ``--dependency`` of ``$job`` variables is
    left unquoted so that the shell expands it."""
    return ' '.join(a if a.startswith('--dependency=') else shlex.quote(a)
                    for a in argv)


def _done(run: Run) -> bool:
    return osp.isfile(_abs(run.checkpoint))


def slurm_script(plan: Plan,
                 partition: str,
                 gpus: Optional[int] = None,
                 extra: Sequence[str] = (),
                 runs: Optional[Sequence[Run]] = None) -> str:
    """The plan as a bash script of ``sbatch`` calls, each run after the
    jobs of the runs it needs (what ``--launcher slurm`` submits)."""
    lines = [
        '#!/usr/bin/env bash',
        f'# tools/reproduce.py {plan.table.name}: one sbatch per run',
        'set -euo pipefail', f'cd {shlex.quote(REPO)}'
    ]
    jobs: Dict[str, str] = {}
    for i, run in enumerate(runs if runs is not None else plan.runs, 1):
        if _done(run):
            lines.append(f'# {run.name}: done ({run.checkpoint} exists)')
            continue
        jobs[run.name] = f'job{i}'
        after = ['${' + jobs[d] + '}' for d in run.deps if d in jobs]
        lines.append(f'mkdir -p {shlex.quote(run.work_dir)}')
        lines.append(f'job{i}=$(' +
                     _shell(sbatch_argv(run, partition, gpus, after, extra))
                     + ')')
    return '\n'.join(lines)


def _dependants(plan: Plan, name: str) -> List[str]:
    """Every run that needs ``name``'s checkpoint, directly or not."""
    out: List[str] = []
    for run in plan.runs:
        if any(d == name or d in out for d in run.deps):
            out.append(run.name)
    return out


def execute(plan: Plan,
            launcher: str = 'local',
            gpus: Optional[int] = None,
            extra: Sequence[str] = (),
            runs: Optional[Sequence[Run]] = None,
            echo=print) -> Dict[str, str]:
    """Train the runs one after another (``local``: ``tools/train.py``;
    ``pytorch``: ``tools/dist_train.sh``). A run whose final checkpoint
    exists is skipped; a failed one (non-zero exit, or no final
    checkpoint) stops the runs that need it, and the others go on. Each
    run's output is appended to ``<work dir>/reproduce.log``.

    Returns:
        dict: Each run's status: ``done``, ``skipped``, ``failed`` or
        ``not run``.
    """
    todo = list(runs if runs is not None else plan.runs)
    status: Dict[str, str] = {}
    env = dict(os.environ)
    env.setdefault('PYTHON', sys.executable)
    for i, run in enumerate(todo, 1):
        head = f'[reproduce] ({i}/{len(todo)}) {run.name}'
        if _done(run):
            status[run.name] = 'skipped'
            echo(f'{head}: done before ({run.checkpoint}), skipped')
            continue
        blocked = [d for d in run.deps
                   if status.get(d) in ('failed', 'not run')]
        if blocked:
            status[run.name] = 'not run'
            echo(f"{head}: not run, it needs {', '.join(blocked)}")
            continue
        argv = train_argv(run, launcher, gpus, extra)
        if argv[0] == 'python':
            argv[0] = sys.executable
        log = osp.join(run.work_dir, 'reproduce.log')
        os.makedirs(_abs(run.work_dir), exist_ok=True)
        echo(f'{head}: training, log {log}\n    {shlex.join(argv)}')
        start = time.time()
        with open(_abs(log), 'a') as f:
            f.write(f"# {time.strftime('%Y-%m-%d %H:%M:%S')} "
                    f'{shlex.join(argv)}\n')
            f.flush()
            code = subprocess.run(
                argv, cwd=REPO, stdout=f, stderr=subprocess.STDOUT,
                env=env).returncode
        minutes = (time.time() - start) / 60
        if code == 0 and _done(run):
            status[run.name] = 'done'
            echo(f'{head}: done in {minutes:.1f} min, {run.checkpoint}')
            continue
        status[run.name] = 'failed'
        why = (f'exit code {code}' if code else
               f'it ended without writing {run.checkpoint}')
        after = [d for d in _dependants(plan, run.name)
                 if d in {r.name for r in todo}]
        echo(f'[reproduce] FAILED: {run.name} ({why}) after {minutes:.1f} '
             f'min; its log: {log}' +
             (f"; not run because of it: {', '.join(after)}"
              if after else ''))
    return status


SLURM_JOB_FILE = 'slurm_job_id'


def _queued_job(run: Run) -> Optional[str]:
    """The job an earlier call submitted for ``run`` if ``squeue`` still
    lists it (pending or running)."""
    path = _abs(osp.join(run.work_dir, SLURM_JOB_FILE))
    if not osp.isfile(path):
        return None
    with open(path) as f:
        job = f.read().strip()
    try:
        proc = subprocess.run(['squeue', '-h', '-j', job, '-o', '%T'],
                              capture_output=True, text=True)
    except OSError:
        return None
    return job if proc.returncode == 0 and proc.stdout.strip() else None


def submit_slurm(plan: Plan,
                 partition: str,
                 gpus: Optional[int] = None,
                 extra: Sequence[str] = (),
                 runs: Optional[Sequence[Run]] = None,
                 echo=print) -> Dict[str, str]:
    """Submit every run not done yet with ``sbatch`` (see
    :func:`sbatch_argv`), dependencies as ``afterok`` of their jobs.

    A run whose job of an earlier call ``squeue`` still lists is not
    submitted again; its dependants wait for that job.

    Returns:
        dict: Each run's status: ``submitted``, ``queued`` (earlier),
        ``skipped``, ``failed`` (sbatch refused it) or ``not run``.
    """
    jobs: Dict[str, str] = {}
    status: Dict[str, str] = {}
    for run in runs if runs is not None else plan.runs:
        if _done(run):
            status[run.name] = 'skipped'
            echo(f'[reproduce] {run.name}: done before ({run.checkpoint}), '
                 'skipped')
            continue
        queued = _queued_job(run)
        if queued:
            jobs[run.name] = queued
            status[run.name] = 'queued'
            echo(f'[reproduce] {run.name}: job {queued} of an earlier call '
                 'is still queued or running; not submitted again')
            continue
        blocked = [d for d in run.deps
                   if status.get(d) in ('failed', 'not run')]
        if blocked:
            status[run.name] = 'not run'
            echo(f"[reproduce] {run.name}: not submitted, it needs "
                 f"{', '.join(blocked)}")
            continue
        os.makedirs(_abs(run.work_dir), exist_ok=True)
        after = [jobs[d] for d in run.deps if d in jobs]
        argv = sbatch_argv(run, partition, gpus, after, extra)
        proc = subprocess.run(argv, cwd=REPO, capture_output=True,
                              text=True)
        if proc.returncode:
            status[run.name] = 'failed'
            echo(f'[reproduce] FAILED to submit {run.name}: '
                 f'{proc.stderr.strip() or proc.stdout.strip()}')
            continue
        jobs[run.name] = proc.stdout.strip().split(';')[0]
        status[run.name] = 'submitted'
        with open(_abs(osp.join(run.work_dir, SLURM_JOB_FILE)), 'w') as f:
            f.write(jobs[run.name] + '\n')
        echo(f'[reproduce] {run.name}: job {jobs[run.name]}' +
             (f" after {', '.join(after)}" if after else '') +
             f"; log {osp.join(run.work_dir, 'slurm-' + jobs[run.name])}"
             '.out')
    return status


def external_hint(external: External) -> str:
    """How to get a file the plan needs from outside: the README line that
    names it with a download address, if one does."""
    for readme in sorted(
            glob.glob(osp.join(REPO, 'configs', '**', 'README.md'),
                      recursive=True)):
        with open(readme, encoding='utf-8') as f:
            for line in f:
                urls = re.findall(r'<(https?://[^>]+)>', line)
                if f'`{external.path}`' in line and urls:
                    return (f'download {urls[0]} to {external.path} (as '
                            f'{_rel(readme)} says)')
    return (f'put the file at {external.path}, or give another with '
            f'--cfg-options {external.key}=PATH')


def missing_inputs(plan: Plan, runs: Sequence[Run],
                   extra: Sequence[str] = ()) -> List[str]:
    """Why ``runs`` cannot start: a file from outside the plan that does
    not exist, or (with ``--only``) a run's dependency outside ``runs``
    whose checkpoint does not exist; each names what writes it."""
    given = dict(o.split('=', 1) for o in extra)
    selected = {r.name for r in runs}
    configs = {r.config for r in runs}
    problems = []
    for ext in plan.externals:
        path = given.get(ext.key, ext.path)
        if ext.config in configs and not osp.isfile(_abs(path)):
            problems.append(
                f'{path} ({ext.key} of {ext.config}) does not exist and no '
                f'run of this plan writes it: {external_hint(ext)}.')
    runs_by_name = plan.by_name()
    for run in runs:
        for dep in run.deps:
            other = runs_by_name[dep]
            if dep not in selected and not _done(other):
                problems.append(
                    f'{run.name} reads {other.checkpoint}, which does not '
                    f'exist; the run {dep} writes it: '
                    f'{shlex.join(train_argv(other, extra=extra))}. Run it '
                    'first (add it to --only, or leave --only out).')
    return problems


# --------------------------------------------------------------------------
# gather


def read_run(run: Run) -> dict:
    """A run's results from its MMEngine scalars logs
    (``<work dir>/<timestamp>/vis_data/scalars.json``; several timestamps
    of a resumed run in order, a later epoch's entry replacing an earlier
    one).

    Returns:
        dict: ``status`` (``missing``: no log; ``incomplete``: no
        validation of the last epoch; ``done``), ``top1`` (and ``DEO_M``,
        ``DEO_A`` of a fairness run) of the last epoch, ``best`` and
        ``best_epoch`` (the best top-1 of any validation), ``last_epoch``
        (the last validated) and ``log`` (the log of the last epoch).
    """
    logs = sorted(
        glob.glob(
            osp.join(_abs(run.work_dir), '*', 'vis_data', 'scalars.json')))
    if not logs:
        return dict(status='missing', log=None)
    key = f'{run.metric}/top1'
    entries: Dict[int, Tuple[dict, str]] = {}
    for log in logs:
        with open(log) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line being written
                if 'iter' not in entry and key in entry:
                    entries[int(entry['step'])] = (entry, log)
    if not entries:
        return dict(status='incomplete', log=_rel(logs[-1]),
                    last_epoch=None)
    best = max(entries, key=lambda s: entries[s][0][key])
    last = max(entries)
    final = entries.get(run.epochs)
    out = dict(
        status='done' if final else 'incomplete',
        best=float(entries[best][0][key]),
        best_epoch=best,
        last_epoch=last,
        log=_rel((final or entries[last])[1]))
    if final:
        out['top1'] = float(final[0][key])
        for metric in ('DEO_M', 'DEO_A'):
            if f'{run.metric}/{metric}' in final[0]:
                out[metric] = float(final[0][f'{run.metric}/{metric}'])
    return out


def gather(plan: Plan) -> Dict[str, dict]:
    """:func:`read_run` of every run, by name."""
    return {run.name: read_run(run) for run in plan.runs}


def _values(plan: Plan, target: Target, metric: str,
            results: Dict[str, dict]) -> Tuple[List[float], int]:
    runs = plan.runs_of(target)
    values = [
        results[r.name][metric] for r in runs
        if results[r.name]['status'] == 'done' and metric in results[r.name]
    ]
    return values, len(runs)


def spread(values: Sequence[float], total: int) -> str:
    """``mean ± std`` (sample std) of a target's runs, ``(k of N runs)``
    when some are not done; ``missing`` for none."""
    if not values:
        return 'missing'
    text = f'{statistics.mean(values):.2f}'
    if len(values) > 1:
        text += f' ± {statistics.stdev(values):.2f}'
    if len(values) < total:
        text += f' ({len(values)} of {total} runs)'
    return text


_METRICS = {'top1': ('top1', ), 'DEO': ('DEO_M', 'DEO_A')}


def _ours(plan: Plan, section: Section, row: Row, col: Column,
          results: Dict[str, dict]) -> Optional[str]:
    """An "ours" cell: the runs of its role's targets, as :func:`spread`
    writes them (a bare "ours" column: the paper's method columns beside
    it, else the row's own configs); None when the row has no such
    target."""
    if col.role == 'teacher/student':
        roles = ['teacher', 'student']
    elif col.role:
        roles = [col.role]
    else:
        roles = [
            c.role for c in section.columns
            if c.kind == 'paper' and c.role and _generic(c)
            and not _covered_by_own(section, c)
        ] or row.own
    parts = []
    for role in roles:
        target = row.targets.get(role)
        if target is None:
            return None
        fairness = _metric_of(target.config) == 'fairness'
        if col.metric == 'DEO' and not fairness:
            parts.append('–')
            continue
        metrics = _METRICS.get(col.metric) or (
            ('top1', 'DEO_A', 'DEO_M') if fairness else ('top1', ))
        parts += [spread(*_values(plan, target, m, results))
                  for m in metrics]
    if not parts:
        return None
    return 'missing' if set(parts) == {'missing'} else ' / '.join(parts)


def _generic(col: Column) -> bool:
    """Whether a paper column goes to a table's one "ours" column (not the
    teacher or the vanilla student)."""
    return col.role not in ('teacher', 'student', 'teacher/student')


def _covered_by_own(section: Section, col: Column) -> bool:
    return col.role != '' and any(
        c.kind == 'ours' and c.role == col.role for c in section.columns)


def _reference_cell(row: Row, plan: Plan) -> str:
    """The demo's committed seed spread of a digits row (at the demo's own
    settings only)."""
    reference = demo.load_reference(demo.REFERENCE)
    if reference is None or plan.epochs is not None:
        return '–'
    entry = reference['rows'].get(row.label)
    if entry is None:
        return 'not measured'
    top1 = entry['top1']
    std = f" ± {top1['std']:.2f}" if top1.get('std') is not None else ''
    return f"{top1['mean']:.2f}{std} (n={top1['n']})"


def _covered(section: Section, col: Column) -> bool:
    """Whether a paper column has an "ours" column: its own, or the
    table's one "ours" column."""
    return _covered_by_own(section, col) or (_generic(col) and any(
        c.kind == 'ours' and c.role == '' for c in section.columns))


def _cell(section: Section, row: Row, col: Column) -> str:
    cell = row.cells[col.index]
    if section.column and col.kind == 'paper':
        return cell.rsplit(': ', 1)[-1]  # the numbers after the config
    return cell


def format_section(plan: Plan, section: Section,
                   results: Dict[str, dict]) -> str:
    """The section's table as the README has it, its "ours" cells filled,
    and an "(ours)" column beside every paper column without one."""
    layout = []
    for col in section.columns:
        layout.append(col)
        if col.kind == 'paper' and not _covered(section, col):
            bare = re.sub(r'\s*\(paper\)', '', col.header)
            layout.append(col._replace(header=f'{bare} (ours)', kind='ours'))
    lines = [join_cells([c.header for c in layout]),
             join_cells(['---'] * len(layout))]
    for row in section.rows:
        cells = []
        for col in layout:
            if col.kind == 'ours':
                cells.append(_ours(plan, section, row, col, results) or '–')
            elif col.kind == 'reference':
                cells.append(_reference_cell(row, plan))
            else:
                cells.append(_cell(section, row, col))
        lines.append(join_cells(cells))
    return '\n'.join(lines)


def format_runs(plan: Plan, results: Dict[str, dict]) -> str:
    """Every run: status, last and best top-1, DEO, its log."""
    lines = [
        '| run | status | top-1 (last epoch) | best top-1 (epoch) | '
        'DEO_M / DEO_A | log |', '|---|---|---:|---:|---:|---|'
    ]
    for run in plan.runs:
        r = results[run.name]
        status = r['status']
        if status == 'incomplete' and r.get('last_epoch'):
            status += f" (epoch {r['last_epoch']} of {run.epochs})"
        top1 = f"{r['top1']:.2f}" if 'top1' in r else '–'
        best = (f"{r['best']:.2f} ({r['best_epoch']})"
                if r.get('best') is not None else '–')
        deo = (f"{r['DEO_M']:.2f} / {r['DEO_A']:.2f}"
               if 'DEO_M' in r else '–')
        lines.append(join_cells(
            [run.name, status, top1, best, deo, r.get('log') or '–']))
    return '\n'.join(lines)


def report(plan: Plan, results: Dict[str, dict]) -> str:
    """The gathered tables, the runs, and which are missing."""
    parts = [
        f'{plan.table.name}: {plan.table.title}; seeds '
        f"{' '.join(map(str, plan.seeds))}, work dir {plan.root}" +
        (f', every run shortened to {plan.epochs} epochs'
         if plan.epochs else '')
    ]
    for section in plan.sections:
        parts += [f'### {section.title}', format_section(
            plan, section, results)]
    parts += ['### runs', format_runs(plan, results)]
    missing = [n for n, r in results.items() if r['status'] == 'missing']
    partial = [n for n, r in results.items() if r['status'] == 'incomplete']
    done = len(results) - len(missing) - len(partial)
    parts.append(f'{done} of {len(results)} runs done' +
                 (f"; missing (no log): {', '.join(missing)}"
                  if missing else '') +
                 (f"; incomplete: {', '.join(partial)}" if partial else ''))
    return '\n\n'.join(parts)


# --------------------------------------------------------------------------
# --update-docs


def _fill_section(text: str, plan: Plan, section: Section,
                  results: Dict[str, dict]) -> Tuple[str, int]:
    """``text`` (the section's README) with the section's "ours" cells
    set for every row measured (a section of one dataset column sets its
    ``<column>: <value>`` part of the cell); the number of rows
    changed."""
    ours = [c for c in section.columns if c.kind == 'ours']
    if section.table is None or not ours:
        return text, 0
    md = section.table
    tables = [
        t for t in read_tables(md.readme, text)
        if t.header == md.header and t.heading == md.heading
    ]
    if len(tables) != 1:
        raise ValueError(f'{md.readme}: the table {join_cells(md.header)} '
                         'is not there once')
    lines = text.split('\n')
    rows = {r.cells[0]: r for r in section.rows}
    changed = 0
    for k, cells in enumerate(tables[0].rows):
        row = rows.get(cells[0])
        if row is None:
            continue
        new = list(cells)
        for col in ours:
            value = _ours(plan, section, row, col, results)
            if not value or 'missing' in value:
                continue
            new[col.index] = _set_part(new[col.index], section.column,
                                       value) if section.column else value
        if new != cells:
            lines[tables[0].first + 2 + k] = join_cells(new)
            changed += 1
    return '\n'.join(lines), changed


def _set_part(cell: str, label: str, value: str) -> str:
    """``cell`` with its ``label: ...`` part (parts apart by ``;``) set to
    ``value``; a cell of no such parts ("not run") is replaced."""
    parts = [p.strip() for p in cell.split(';')]
    if not all(re.match(r'[^:]+: ', p) for p in parts):
        parts = []
    new = f'{label}: {value}'
    found = [i for i, p in enumerate(parts) if p.startswith(label + ': ')]
    if found:
        parts[found[0]] = new
    else:
        parts.append(new)
    return '; '.join(parts)


def _fill_config_rows(text: str, readme: str,
                      values: Dict[str, str]) -> Tuple[str, int]:
    """``text`` with the "ours" cell of every table row that links exactly
    one config of ``values`` set to its value (the model zoo's tables)."""
    lines = text.split('\n')
    changed = 0
    for md in read_tables(readme, text):
        columns = [classify(h) for h in md.header]
        ours = [i for i, c in enumerate(columns) if c.kind == 'ours']
        configs = [i for i, c in enumerate(columns) if c.kind == 'configs']
        if len(ours) != 1 or len(configs) != 1:
            continue
        for k, cells in enumerate(md.rows):
            listed = cell_configs(cells[configs[0]], readme)
            if len(listed) == 1 and listed[0] in values:
                new = list(cells)
                new[ours[0]] = values[listed[0]]
                if new != cells:
                    lines[md.first + 2 + k] = join_cells(new)
                    changed += 1
    return '\n'.join(lines), changed


def _key_lines(lines: List[str], start: int, end: int,
               indent: int) -> List[Tuple[int, str]]:
    """``(line, key)`` of a metafile model's keys (at ``indent``)."""
    out = [(start, 'Name')]
    pattern = re.compile(r'^ {%d}([A-Za-z][\w ]*):' % indent)
    for i in range(start + 1, end):
        match = pattern.match(lines[i])
        if match:
            out.append((i, match.group(1)))
    return out


def set_metafile_results(path: str, config: str, dataset: str,
                         metrics: Dict[str, float], comment: str,
                         logs: Sequence[str]) -> None:
    """Set the ``Results`` entry of ``dataset`` and the ``Training Log``
    of the model of ``config`` in the metafile at ``path``, keeping the
    rest of the file (and its comments) as it is.

    Raises:
        ValueError: The metafile has no model of ``config``, or the edit
            would not read back as written (nothing is written then).
    """
    with open(path, encoding='utf-8') as f:
        text = f.read()
    lines = text.split('\n')
    model = None
    for start, line in enumerate(lines):
        match = re.match(r'^( *)- Name: ', line)
        if not match:
            continue
        indent = len(match.group(1)) + 2
        end = start + 1
        while end < len(lines):
            body = lines[end]
            lead = len(body) - len(body.lstrip())
            if body.strip() and not body.lstrip().startswith('#') \
                    and lead < indent:
                break
            end += 1
        if any(ln.strip() == f'Config: {config}' for ln in lines[start:end]):
            model = (start, end, indent)
            break
    if model is None:
        raise ValueError(f'{path}: no model of {config}')
    start, end, indent = model
    entry = next(m for m in yaml.safe_load(text)['Models']
                 if m['Config'] == config)
    keep = [r for r in entry.get('Results') or []
            if r.get('Dataset') != dataset]
    pad = ' ' * indent
    new_lines = [f'{pad}Results:']
    for result in keep + [
            dict(Task='Image Classification', Dataset=dataset,
                 Metrics=metrics)
    ]:
        new_lines += [
            f"{pad}  - Task: {result['Task']}",
            f"{pad}    Dataset: {result['Dataset']}", f'{pad}    Metrics:'
        ]
        for i, (name, value) in enumerate(result['Metrics'].items()):
            note = f'  # {comment}' if result['Dataset'] == dataset \
                and i == 0 else ''
            new_lines.append(f'{pad}      {name}: {value}{note}')
    new_lines += [f'{pad}Training Log:'] + [f'{pad}  - {log}' for log in logs]
    keys = _key_lines(lines, start, end, indent)
    spans = [(i, keys[j + 1][0] if j + 1 < len(keys) else end, key)
             for j, (i, key) in enumerate(keys)]
    body: List[str] = []
    for i, stop, key in spans:
        if key == 'Config':
            body += new_lines
        if key not in ('Results', 'Training Log'):
            body += lines[i:stop]
    new_text = '\n'.join(lines[:start] + body + lines[end:])
    written = next(m for m in yaml.safe_load(new_text)['Models']
                   if m['Config'] == config)
    mine = [r for r in written.get('Results') or []
            if r.get('Dataset') == dataset]
    if mine != [dict(Task='Image Classification', Dataset=dataset,
                     Metrics=metrics)] or written.get('Training Log') != \
            list(logs) or {k: v for k, v in written.items()
                           if k not in ('Results', 'Training Log')} != \
            {k: v for k, v in entry.items()
             if k not in ('Results', 'Training Log')}:
        raise ValueError(f'{path}: the edit of {config} does not read '
                         'back as written; the file is left as it was')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(new_text)


def _config_summaries(plan: Plan, results: Dict[str, dict]
                      ) -> Dict[str, dict]:
    """Per measured config (sweep points apart): its done runs' mean
    metrics, seeds and logs."""
    out: Dict[str, dict] = {}
    for config in dict.fromkeys(r.config for r in plan.runs):
        runs = [
            r for r in plan.runs if r.config == config and not r.variant
            and results[r.name]['status'] == 'done'
        ]
        if not runs:
            continue
        metrics = {}
        for key in ('top1', 'DEO_A', 'DEO_M'):
            values = [results[r.name][key] for r in runs
                      if key in results[r.name]]
            if values:
                metrics[METRIC_NAMES[key]] = round(
                    statistics.mean(values), 2)
        total = [r for r in plan.runs if r.config == config
                 and not r.variant]
        out[config] = dict(
            metrics=metrics,
            runs=runs,
            total=len(total),
            text=spread([results[r.name]['top1'] for r in runs],
                        len(total)),
            logs=[results[r.name]['log'] for r in runs])
    return out


def update_docs(plan: Plan, results: Dict[str, dict],
                root: str = REPO) -> List[str]:
    """Write what ``results`` measured under ``root`` (the repository, or
    a copy of its ``configs/``): the "ours" cells of the table's README
    tables, the model zoo's "ours" cells of its teachers and vanilla
    students, and the metafile ``Results`` and ``Training Log`` of every
    measured config. Returns what was written, one line each."""
    if plan.epochs is not None:
        raise ValueError('--update-docs writes the configs\' own runs; '
                         f'these were shortened to {plan.epochs} epochs '
                         '(--epochs), a smoke test: leave --epochs out')
    done: List[str] = []
    readmes: Dict[str, List[Section]] = {}
    for section in plan.sections:
        if section.table is not None:
            readmes.setdefault(section.table.readme, []).append(section)
    for readme, sections in readmes.items():
        path = osp.join(root, readme)
        with open(path, encoding='utf-8') as f:
            text = f.read()
        total = 0
        for section in sections:
            text, n = _fill_section(text, plan, section, results)
            total += n
        if total:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            done.append(f'{readme}: {total} rows of its "ours" columns')
        elif not any(c.kind == 'ours' for s in sections for c in s.columns):
            done.append(f'{readme}: its table has no "ours" column; '
                        'nothing written there')
    summaries = _config_summaries(plan, results)
    teachers = {
        t.config
        for s in plan.sections for r in s.rows
        for role, t in r.targets.items() if role in ('teacher', 'student')
    }
    zoo = {c: summaries[c]['text'] for c in teachers if c in summaries}
    if zoo:
        path = osp.join(root, ZOO_README)
        with open(path, encoding='utf-8') as f:
            text, n = _fill_config_rows(f.read(), ZOO_README, zoo)
        if n:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            done.append(f'{ZOO_README}: {n} rows of "Top-1 ours"')
    seeds = ' '.join(map(str, plan.seeds))
    for config, summary in summaries.items():
        model = model_index().get(config)
        dataset = DATASETS.get(_data(config))
        if model is None:
            done.append(f'{config}: in no metafile; not written')
            continue
        if dataset is None:
            done.append(f'{config}: no metafile dataset name for its data '
                        f'{_data(config)!r} (DATASETS); not written')
            continue
        runs = summary['runs']
        how = ('one run' if summary['total'] == 1 else
               f'mean of {len(runs)} runs (seeds {seeds})' if len(runs)
               == summary['total'] else
               f"mean of {len(runs)} of {summary['total']} runs (seeds "
               f"{' '.join(str(r.seed) for r in runs)})")
        comment = (f'ours: tools/reproduce.py {plan.table.name}, {how}, '
                   'last epoch')
        set_metafile_results(
            osp.join(root, model['metafile']), config, dataset,
            summary['metrics'], comment, summary['logs'])
        done.append(f"{model['metafile']}: {_stem(config)} "
                    f"{summary['text']}")
    return done


# --------------------------------------------------------------------------
# --estimate

# training images by the configs' data suffix
TRAIN_IMAGES = {
    'cifar100': 50000,
    'cifar10': 50000,
    'cifar10s': 50000,
    'utkface': 22505,  # 23,705 images, 1,200 held out for the test set
    'celeba': 162770,  # the official training partition
    'in1k': 1281167,
    'digits': 1438,
    'digits_s': 1438,
}
INPUT_SIZE = {'in1k': 224, 'utkface': 176, 'celeba': 176}
# the assumptions of the estimate (docs/reproduce.md): the effective
# float32 throughput of one V100-class GPU on these networks, and the
# images per second a data loader of 5 workers gives
GPU_TFLOPS = 5.0
LOADER_IMAGES = {32: 5000, 'large': 1000}


@functools.lru_cache(maxsize=None)
def _macs(network: str, size: int) -> int:
    """Multiply-accumulates of one image through a network (a JSON
    config), by mmengine's counter."""
    import logging

    import torch
    from mmengine.analysis import get_model_complexity_info
    from mmengine.logging import MMLogger
    from mmpretrain.registry import MODELS

    # the counter warns of every op it does not count (adds, ReLUs, pools:
    # negligible next to the convolutions)
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    model = MODELS.build(json.loads(network))
    model.eval()
    with torch.no_grad():
        info = get_model_complexity_info(
            model, input_shape=(3, size, size), show_table=False,
            show_arch=False)
    return int(info['flops'])


def _views(node: Any) -> int:
    """The views a training pipeline makes of an image (SSKD's
    ``num_views``), 1 without."""
    if isinstance(node, dict):
        if 'num_views' in node:
            views = node['num_views']
            return sum(views) if isinstance(views, (list, tuple)) else views
        return max([_views(v) for v in node.values()] + [1])
    if isinstance(node, (list, tuple)):
        return max([_views(v) for v in node] + [1])
    return 1


def run_cost(run: Run) -> dict:
    """The estimated GPU time of a run: training FLOPs per image (2 x
    MACs; the trained network's forward and backward as 3 forwards, a
    frozen teacher's forward as 1) x images x views x epochs over
    :data:`GPU_TFLOPS`, or the data loader's time when that is longer."""
    from mmkd_plus.utils import network_config
    cfg = load_config(run.config)
    model = cfg.model
    data = _data(run.config)
    size = INPUT_SIZE.get(data, 32)
    if 'architecture' in model:
        student = network_config(model.architecture)
        teacher = network_config(model.teacher) \
            if model.get('teacher') else None
    else:
        student, teacher = model, None
    frozen = str(model.get('type', '')).endswith('SSKDTeacherStage')
    s_macs = _macs(json.dumps(_plain(student)), size)
    t_macs = _macs(json.dumps(_plain(teacher)), size) if teacher else 0
    flops = 2 * ((1 if frozen else 3) * s_macs + t_macs)
    options = dict(run.options)
    images = int(options.get('train_dataloader.dataset.indices',
                             TRAIN_IMAGES[data]))
    views = _views(cfg.train_dataloader.dataset.to_dict())
    per_image = max(flops / (GPU_TFLOPS * 1e12),
                    1 / LOADER_IMAGES[32 if size == 32 else 'large'])
    seconds = images * views * run.epochs * per_image
    return dict(
        run=run.name,
        gflops=flops / 1e9,
        images=images,
        views=views,
        epochs=run.epochs,
        gpu_hours=seconds / 3600)


def _plain(cfg: Any) -> Any:
    return cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg


def estimate(plan: Plan) -> Tuple[List[dict], float]:
    """:func:`run_cost` of every run and the total GPU-hours."""
    costs = [run_cost(r) for r in plan.runs]
    return costs, sum(c['gpu_hours'] for c in costs)


def format_estimate(plan: Plan, costs: List[dict], total: float) -> str:
    lines = [
        f'{plan.table.name}: estimated GPU-hours, seeds '
        f"{' '.join(map(str, plan.seeds))} (an estimate, not a "
        f'measurement: training FLOPs x images x views x epochs at '
        f'{GPU_TFLOPS:g} TFLOP/s per GPU, at least {LOADER_IMAGES[32]} '
        f"images/s (32x32) or {LOADER_IMAGES['large']} (larger) per GPU; "
        'see docs/reproduce.md)', '',
        '| run | GFLOP / image (train) | images x views | epochs | '
        'GPU-hours |', '|---|---:|---:|---:|---:|'
    ]
    for c in costs:
        lines.append(join_cells([
            c['run'], f"{c['gflops']:.2f}", f"{c['images']} x {c['views']}",
            str(c['epochs']), f"{c['gpu_hours']:.2f}"
        ]))
    lines.append(f'\ntotal: {total:.1f} GPU-hours for {len(costs)} runs')
    return '\n'.join(lines)


# --------------------------------------------------------------------------
# the command line


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('table', nargs='?', help='the table (see --list)')
    parser.add_argument(
        '--list', action='store_true', help='list the tables and exit')
    parser.add_argument(
        '--dry-run', action='store_true',
        help='print the runs in order, each with its command and work dir')
    parser.add_argument(
        '--gather', action='store_true',
        help='read the runs\' logs and print the table')
    parser.add_argument(
        '--update-docs', action='store_true',
        help='with --gather: write the README "ours" columns and the '
        'metafiles\' Results')
    parser.add_argument(
        '--estimate', action='store_true',
        help='print the estimated GPU-hours of every run')
    parser.add_argument(
        '--seeds', nargs='+', type=int,
        help="the students' seeds (default: the table's, see --list)")
    parser.add_argument(
        '--work-dir',
        help='root of the runs\' work dirs (default work_dirs, where the '
        'configs read their teachers; with --epochs N work_dirs/epochs<N>)')
    parser.add_argument(
        '--epochs', type=positive_int,
        help='train every run this many epochs (a smoke test)')
    parser.add_argument(
        '--launcher', choices=['local', 'pytorch', 'slurm'],
        help='local (default): tools/train.py, one run after another; '
        'pytorch: tools/dist_train.sh; slurm: one sbatch job per run')
    parser.add_argument(
        '--gpus', type=positive_int,
        help='GPUs per run (pytorch, slurm); default: the config name\'s '
        '(1xb64: 1, 8xb32: 8)')
    parser.add_argument('--partition', help='the Slurm partition (slurm)')
    parser.add_argument(
        '--only', nargs='+', metavar='RUN',
        help='train only these runs (names or shell patterns, see '
        '--dry-run); the runs they need must be done')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
        help='more config options for every run (e.g. data_root=PATH)')
    args = parser.parse_args(argv)
    _check_args(parser, args)
    return args


def _check_args(parser, args) -> None:
    if args.list:
        return
    if not args.table:
        parser.error('give a table (or --list): ' + ', '.join(TABLES))
    if args.table not in TABLES:
        parser.error(f'unknown table {args.table!r}; the tables are: ' +
                     ', '.join(TABLES))
    modes = [m for m in ('dry_run', 'gather', 'estimate') if getattr(args, m)]
    if len(modes) > 1:
        parser.error('give one of --dry-run, --gather and --estimate')
    if args.update_docs and not args.gather:
        parser.error('--update-docs goes with --gather')
    if args.seeds and len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds repeats a seed: {args.seeds}')
    training = not (args.gather or args.estimate)
    unread = [
        f'--{k.replace("_", "-")}'
        for k in ('launcher', 'gpus', 'partition', 'only', 'cfg_options')
        if getattr(args, k) and not training
    ]
    if unread:
        parser.error(f"{', '.join(unread)} only apply when training or "
                     '--dry-run (not with --gather or --estimate)')
    if args.launcher in (None, 'local') and args.gpus:
        parser.error('--gpus goes with --launcher pytorch or slurm (local '
                     'trains each run in one process)')
    if args.launcher == 'slurm' and not args.partition:
        parser.error('--launcher slurm needs --partition')
    if args.partition and args.launcher != 'slurm':
        parser.error('--partition goes with --launcher slurm')
    for option in args.cfg_options:
        if '=' not in option:
            parser.error(f'--cfg-options {option!r}: expected KEY=VALUE')


def _check_options(plan: Plan, extra: Sequence[str]) -> None:
    """Refuse a pass-through option the plan sets itself."""
    for option in extra:
        key = option.split('=', 1)[0]
        setters = [r.name for r in plan.runs if key in dict(r.options)]
        if key in PLAN_KEYS and (setters or key not in (
                'model.teacher_ckpt', 'model.teacher_ss_ckpt', 'load_from')):
            raise ValueError(
                f'--cfg-options {key}: set by {PLAN_KEYS[key]}' +
                (f' (in {setters[0]}, ...)' if setters else '') +
                '; it cannot be given here')


def _select(plan: Plan, patterns: Optional[Sequence[str]]) -> List[Run]:
    if not patterns:
        return list(plan.runs)
    chosen = [
        r for r in plan.runs
        if any(fnmatch.fnmatchcase(r.name, p) for p in patterns)
    ]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(r.name, pattern) for r in plan.runs):
            raise ValueError(
                f'--only {pattern}: no run of {plan.table.name} has that '
                f"name; its runs: {', '.join(r.name for r in plan.runs)}")
    return chosen


def _kind(run: Run) -> str:
    if run.once:
        return 'stage, once' if run.deps else 'teacher, once'
    return f'seed {run.seed}'


def format_plan(plan: Plan, runs: Sequence[Run], launcher: str,
                gpus: Optional[int], extra: Sequence[str],
                partition: Optional[str]) -> str:
    """The dry run: every run in order with its work dir and command."""
    once = sum(r.once for r in plan.runs)
    lines = [
        f'{plan.table.name}: {plan.table.title}',
        f"seeds {' '.join(map(str, plan.seeds))}, work dir {plan.root}"
        + (f', every run {plan.epochs} epochs' if plan.epochs else '') +
        f'; {len(plan.runs)} runs ({once} once, {len(plan.runs) - once} '
        'per seed); commands run from the repository root', ''
    ]
    if launcher == 'slurm':
        lines.append(slurm_script(plan, partition, gpus, extra, runs))
    else:
        for i, run in enumerate(runs, 1):
            done = ' (done: skipped)' if _done(run) else ''
            lines.append(f'# [{i}/{len(runs)}] {run.name} ({_kind(run)})'
                         f'{done} -> {run.work_dir}')
            lines.append(shlex.join(train_argv(run, launcher, gpus, extra)))
    for problem in missing_inputs(plan, runs, extra):
        lines.append(f'# needs: {problem}')
    for warning in _batch_warnings(runs, launcher, gpus):
        lines.append(f'# note: {warning}')
    return '\n'.join(lines)


def _batch_warnings(runs: Sequence[Run], launcher: str,
                    gpus: Optional[int]) -> List[str]:
    """Runs whose total batch the GPUs change (the config names its
    recipe's GPUs: ``1xb64``)."""
    if launcher == 'local' or gpus is None:
        return []
    other = sorted({r.config for r in runs if gpus_of(r) != gpus})
    if not other:
        return []
    return [f'{len(other)} configs are recipes for another number of GPUs '
            f'than --gpus {gpus} (e.g. {_stem(other[0])}): the total batch '
            'changes with the GPUs; add --cfg-options '
            'auto_scale_lr.enable=True to scale the LR, or leave --gpus '
            "out to give each run its config's GPUs"]


def list_tables(echo=print) -> None:
    lines = [
        '| table | paper, table | rows | runs at the default seeds |',
        '|---|---|---:|---|'
    ]
    for table in TABLES.values():
        plan = build_plan(table)
        once = sum(r.once for r in plan.runs)
        rows = sum(len(s.rows) for s in plan.sections)
        lines.append(join_cells([
            table.name, table.title,
            str(rows), f'{len(plan.runs)} ({once} once + '
            f'{(len(plan.runs) - once) // len(plan.seeds)} x '
            f"{len(plan.seeds)} seeds: {' '.join(map(str, plan.seeds))})"
        ]))
    echo('\n'.join(lines))


def main(argv=None, echo=print) -> int:
    args = parse_args(argv)
    if args.list:
        list_tables(echo)
        return 0
    plan = build_plan(TABLES[args.table], args.seeds, args.work_dir,
                      args.epochs)
    if args.gather:
        results = gather(plan)
        echo(report(plan, results))
        if args.update_docs:
            for line in update_docs(plan, results):
                echo(f'[reproduce] wrote {line}')
        return 0
    if args.estimate:
        echo(format_estimate(plan, *estimate(plan)))
        return 0
    extra = list(args.cfg_options)
    _check_options(plan, extra)
    runs = _select(plan, args.only)
    launcher = args.launcher or 'local'
    if args.dry_run:
        echo(format_plan(plan, runs, launcher, args.gpus, extra,
                         args.partition))
        return 0
    problems = missing_inputs(plan, runs, extra)
    if problems:
        raise SystemExit('tools/reproduce.py: cannot start:\n  ' +
                         '\n  '.join(problems))
    for warning in _batch_warnings(runs, launcher, args.gpus):
        echo(f'[reproduce] note: {warning}')
    if launcher == 'slurm':
        status = submit_slurm(plan, args.partition, args.gpus, extra, runs,
                              echo)
    else:
        status = execute(plan, launcher, args.gpus, extra, runs, echo)
    counts = {s: sum(v == s for v in status.values())
              for s in dict.fromkeys(status.values())}
    again = [args.table, '--gather'] + (
        ['--seeds', *map(str, args.seeds)] if args.seeds else []) + (
            ['--work-dir', plan.root] if args.work_dir else []) + (
                ['--epochs', str(args.epochs)] if args.epochs else [])
    echo('[reproduce] ' + ', '.join(f'{n} {s}' for s, n in counts.items()) +
         '; the table: python tools/reproduce.py ' + shlex.join(again))
    return 1 if any(s in ('failed', 'not run') for s in status.values()) \
        else 0


if __name__ == '__main__':
    sys.exit(main())
