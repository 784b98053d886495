# Copyright (c) OpenMMLab. All rights reserved.
"""Packaging: dependencies declared so that installing into an MMRazor
deployment changes nothing it has, the mmcv/mmengine check at import, and
configs and tools shipped in ``mmkd_plus/.mim``.

Two tests need the deployment ``make test-legacy`` builds: they read what it
recorded there (``MMKD_PLUS_DEPLOYMENT_DIR``: the deployment's packages
before the install, and pip's ``--dry-run --report`` of the install).
"""
import glob
import json
import os
import os.path as osp
import runpy
import shutil
import subprocess
import sys
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

import mmkd_plus

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SETUP = runpy.run_path(osp.join(REPO, 'setup.py'), run_name='setup')
DEPLOYMENT_DIR = os.environ.get('MMKD_PLUS_DEPLOYMENT_DIR')
needs_deployment = pytest.mark.skipif(
    not DEPLOYMENT_DIR,
    reason='needs the deployment of make test-legacy '
    '(MMKD_PLUS_DEPLOYMENT_DIR)')
# the top-level module of each runtime requirement, where not its name
IMPORT_NAMES = {'setuptools': 'pkg_resources'}


def requirements(name: str) -> list:
    return [Requirement(r) for r in SETUP['parse_requirements'](name)]


def constraints(name: str) -> dict:
    pins = {}
    for req in requirements(name):
        (spec, ) = req.specifier
        assert spec.operator == '==', req
        pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def test_runtime_requirements_leave_a_deployment_alone():
    reqs = {canonicalize_name(r.name): r for r in requirements('runtime.txt')}
    extras = SETUP['extras_require']()
    every = list(reqs.values()) + [
        Requirement(r) for group in extras.values() for r in group
    ]
    assert 'mmcv-lite' not in {canonicalize_name(r.name) for r in every}
    for req in every:
        assert all(s.operator != '==' for s in req.specifier), req
    # torch: a lower bound at most; numpy unbounded; mmcv/mmengine: `mim`
    assert {s.operator for s in reqs['torch'].specifier} <= {'>='}
    assert 'torchvision' not in reqs
    assert not reqs['numpy'].specifier
    assert str(reqs['mmrazor'].specifier) == '<2,>=1.0.0'
    assert str(reqs['mmpretrain'].specifier) == '<2,>=1.0.0'
    assert not {'mmcv', 'mmengine', 'pot', 'scikit-learn'} & set(reqs)
    assert {canonicalize_name(Requirement(r).name)
            for r in extras['mim']} == {'mmcv', 'mmengine'}


def test_every_runtime_requirement_is_imported():
    """Nothing in install_requires that nothing imports: after importing
    mmkd_plus and loading a config with an `mmpretrain::` base, each is in
    sys.modules."""
    names = [
        IMPORT_NAMES.get(r.name, r.name) for r in requirements('runtime.txt')
    ]
    config = osp.join(REPO, 'configs', 'quest',
                      'quest_layer4_resnet34_resnet18_8xb32_in1k.py')
    code = ('import sys, mmkd_plus\n'
            'from mmengine.config import Config\n'
            f'Config.fromfile({config!r})\n'
            f'print([n for n in {names!r} if n not in sys.modules])')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == '[]'


def test_mim_ranges_are_the_ones_checked_at_import():
    mim = {
        canonicalize_name(r.name): r.specifier
        for r in requirements('mminstall.txt')
    }
    m = mmkd_plus
    assert mim == {
        'mmcv':
        SpecifierSet(f'>={m.mmcv_minimum_version},'
                     f'<={m.mmcv_maximum_version}'),
        'mmengine':
        SpecifierSet(f'>={m.mmengine_minimum_version},'
                     f'<{m.mmengine_maximum_version}')
    }


@pytest.mark.parametrize('mmcv_version,mmengine_version,bad', [
    ('1.7.2', '0.10.7', 'found mmcv 1.7.2'),
    ('2.1.1', '0.10.7', 'found mmcv 2.1.1'),
    ('2.0.1', '0.9.1', 'mmengine 0.9.1'),
    ('2.1.0', '1.0.0', 'mmengine 1.0.0'),
])
def test_version_check_names_the_range_and_the_fix(monkeypatch,
                                                   mmcv_version,
                                                   mmengine_version, bad):
    import mmcv
    import mmengine
    mmkd_plus._check_mm_versions()  # the installed ones are in range
    monkeypatch.setattr(mmcv, '__version__', mmcv_version)
    monkeypatch.setattr(mmengine, '__version__', mmengine_version)
    with pytest.raises(ImportError) as info:
        mmkd_plus._check_mm_versions()
    message = str(info.value)
    assert bad in message
    assert 'mmcv>=2.0.0,<=2.1.0 and mmengine>=0.10.0,<1.0.0' in message
    assert 'pip install "mmcv-lite>=2.0.0,<=2.1.0"' in message


def test_tested_constraints_pin_every_requirement():
    pins = constraints('tested.txt')
    assert pins['torch'] == Version('2.13.0')
    assert pins['torchvision'] == Version('0.28.0')
    assert pins['mmcv-lite'] == Version('2.1.0')
    declared = requirements('runtime.txt') + [
        Requirement(r) for group in SETUP['extras_require']().values()
        for r in group
    ]
    for req in declared:
        name = 'mmcv-lite' if req.name == 'mmcv' else req.name
        pin = pins.get(canonicalize_name(name))
        assert pin is not None, f'{req.name} has no pin in tested.txt'
        assert req.specifier.contains(pin, prereleases=True), (req, pin)


def test_legacy_stack_satisfies_the_requirements():
    pins = constraints('legacy.txt')
    for req in requirements('runtime.txt') + requirements('mminstall.txt'):
        name = 'mmcv-lite' if req.name == 'mmcv' else req.name
        if canonicalize_name(name) in pins:
            assert req.specifier.contains(pins[canonicalize_name(name)])


def test_optional_pot_fails_when_built_naming_the_key():
    """Without POT (the `wcord` extra) mmkd_plus imports, and a WCoRD loss
    with the Sinkhorn solver stops when built, saying what to do."""
    code = '\n'.join([
        "import sys; sys.modules['ot'] = None  # as if POT were absent",
        'import mmkd_plus',
        'from mmkd_plus.models.losses import WCoRDLoss',
        "WCoRDLoss(num_data=8, s_channels=4, t_channels=4, feat_dim=4,",
        "          num_negatives=2, ot_solver='ipot')",
        "WCoRDLoss(num_data=8, s_channels=4, t_channels=4, feat_dim=4,",
        '          num_negatives=2)',
    ])
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: ')
    assert "ot_solver='sinkhorn'" in last and 'pip install POT' in last
    assert "'wcord' extra" in last


# .mim ------------------------------------------------------------------------
def _repo_files(folder: str) -> set:
    """Files of the repository's ``folder`` that ship in .mim."""
    out = set()
    for path in glob.glob(osp.join(REPO, folder, '**', '*'), recursive=True):
        rel = osp.relpath(path, REPO)
        if osp.isfile(path) and path.endswith(('.py', '.yml', '.md', '.sh')):
            out.add(rel)
    return out - {
        p
        for p in out if '__pycache__' in p or (folder == 'tools' and (
            p.endswith(('.yml', '.md'))))
    }


def _copy_source(dst: str) -> None:
    for name in ('setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml'):
        shutil.copy(osp.join(REPO, name), dst)
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in ('mmkd_plus', 'configs', 'tools', 'requirements'):
        shutil.copytree(osp.join(REPO, name), osp.join(dst, name),
                        ignore=ignore)


def test_editable_mode_links_and_build_mode_copies(tmp_path, monkeypatch):
    src = str(tmp_path / 'src')
    os.makedirs(src)
    _copy_source(src)
    setup = runpy.run_path(osp.join(src, 'setup.py'), run_name='setup')
    mim = osp.join(src, 'mmkd_plus', '.mim')
    monkeypatch.setattr(sys, 'argv', ['setup.py', 'editable_wheel'])
    setup['add_mim_extension']()
    for name in ('configs', 'tools', 'model-index.yml'):
        assert osp.islink(osp.join(mim, name))
        assert osp.realpath(osp.join(mim, name)) == osp.join(src, name)
    monkeypatch.setattr(sys, 'argv', ['setup.py', 'bdist_wheel'])
    setup['add_mim_extension']()
    assert not osp.islink(osp.join(mim, 'configs'))
    assert osp.isfile(osp.join(mim, 'tools', 'train.py'))
    # a build from an sdist (no top-level configs/) keeps the copies
    shutil.rmtree(osp.join(src, 'configs'))
    setup['add_mim_extension']()
    assert osp.isfile(osp.join(mim, 'configs', 'baselines', 'kd',
                               '_base_kd.py'))


@pytest.mark.slow
def test_wheel_ships_every_config_and_tool(tmp_path):
    src = str(tmp_path / 'src')
    os.makedirs(src)
    _copy_source(src)
    proc = subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--quiet', '-w',
        str(tmp_path / 'dist'), src
    ], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel, ) = glob.glob(str(tmp_path / 'dist' / '*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n[len('mmkd_plus/.mim/'):]
               for n in names if n.startswith('mmkd_plus/.mim/')}
    expected = _repo_files('configs') | _repo_files('tools')
    assert expected and expected <= shipped, sorted(expected - shipped)[:5]
    assert 'model-index.yml' in shipped
    assert not any(n.startswith(('tests/', 'configs/', 'tools/'))
                   for n in names)


def test_installed_configs_resolve_outside_the_repo(tmp_path, monkeypatch):
    """A deployment's config inherits ours by an absolute path into the
    installed .mim copy; the relative bases inside it resolve there."""
    from mmengine.config import Config
    base = osp.join(osp.dirname(mmkd_plus.__file__), '.mim', 'configs',
                    'quest', 'quest_layer3_resnet20_resnet8_1xb64_digits.py')
    assert osp.isfile(base), f'{base} missing: reinstall mmkd_plus'
    own = tmp_path / 'my_quest.py'
    own.write_text(f'_base_ = [{base!r}]\n'
                   'train_cfg = dict(max_epochs=3)\n')
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(str(own))
    ours = Config.fromfile(osp.join(REPO, 'configs', 'quest',
                                    osp.basename(base)))
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.model.to_dict() == ours.model.to_dict()
    assert cfg.custom_imports.imports == ['mmkd_plus']


# the deployment of make test-legacy ------------------------------------------
def _pip_versions() -> dict:
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'list', '--format=json'],
        capture_output=True, text=True, check=True)
    return {
        canonicalize_name(p['name']): p['version']
        for p in json.loads(proc.stdout)
    }


@needs_deployment
def test_install_changed_nothing_the_deployment_had():
    with open(osp.join(DEPLOYMENT_DIR, 'deployment.txt')) as f:
        before = dict(
            line.strip().split('==') for line in f if '==' in line)
    now = _pip_versions()
    changed = {
        name: (version, now.get(canonicalize_name(name)))
        for name, version in before.items()
        if now.get(canonicalize_name(name)) != version
    }
    assert not changed
    import mmcv
    import torch
    assert torch.__version__.split('+')[0] == '1.13.1'
    assert mmcv.__version__ == '2.0.1'


@needs_deployment
def test_dry_run_in_the_deployment_wants_only_the_package():
    with open(osp.join(DEPLOYMENT_DIR, 'dry-run.json')) as f:
        report = json.load(f)
    wanted = {
        canonicalize_name(item['metadata']['name']):
        item['download_info']['url'].rsplit('/', 1)[-1]
        for item in report['install']
    }
    assert 'mmkd-plus' in wanted
    extra = {n: f for n, f in wanted.items() if n != 'mmkd-plus'}
    # at most small pure-Python packages, none the deployment already has
    assert all(f.endswith('-py3-none-any.whl') for f in extra.values()), extra
    assert len(extra) <= 2, extra
    with open(osp.join(DEPLOYMENT_DIR, 'deployment.txt')) as f:
        had = {canonicalize_name(line.split('==')[0]) for line in f}
    assert not set(extra) & had
