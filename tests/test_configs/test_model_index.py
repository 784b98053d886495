# Copyright (c) OpenMMLab. All rights reserved.
"""Every method folder has a README and a metafile that model-index.yml
imports, and every config a metafile names exists."""
import glob
import os.path as osp

import pytest
import yaml
from kd_test_utils import REPO

FOLDERS = sorted(
    osp.dirname(p) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p.split(osp.sep))
FOLDERS = sorted(set(FOLDERS))


def _load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def test_model_index_imports_every_metafile():
    index = _load(osp.join(REPO, 'model-index.yml'))['Import']
    expected = sorted(
        osp.relpath(osp.join(f, 'metafile.yml'), REPO) for f in FOLDERS)
    assert sorted(index) == expected


@pytest.mark.parametrize('folder', FOLDERS,
                         ids=lambda f: osp.relpath(f, REPO))
def test_folder_has_readme_and_valid_metafile(folder):
    readme = osp.join(folder, 'README.md')
    assert osp.isfile(readme)
    with open(readme) as f:
        text = f.read()
    meta = _load(osp.join(folder, 'metafile.yml'))
    assert meta['Collections'] and meta['Models']
    for model in meta['Models']:
        config = model['Config']
        assert osp.isfile(osp.join(REPO, config)), config
    # the README names every config of the metafile (its table or list),
    # and its results table has the paper's column beside ours
    missing = [
        m['Config'] for m in meta['Models']
        if osp.splitext(osp.basename(m['Config']))[0] not in text
    ]
    assert not missing, f'{osp.relpath(readme, REPO)} does not name {missing}'
    header = [
        line.lower() for line in text.splitlines()
        if line.startswith('|') and 'ours' in line.lower()
    ]
    assert header, 'no results table with an "ours" column'


# The datasets of the runs this project has made (a CPU, no dataset
# download): the bundled digits and DigitsS. A CIFAR, ImageNet or face
# config gets Results when a run of ours exists; until then the papers'
# numbers are in the READMEs' "paper" columns, labelled as theirs.
MEASURED_DATASETS = {'Digits', 'DigitsS'}


@pytest.mark.parametrize('folder', FOLDERS,
                         ids=lambda f: osp.relpath(f, REPO))
def test_metafile_results_are_our_measurements(folder):
    meta = _load(osp.join(folder, 'metafile.yml'))
    for model in meta['Models']:
        for result in model.get('Results') or []:
            assert result['Dataset'] in MEASURED_DATASETS, (
                model['Name'], result['Dataset'])
            assert result['Metrics'], model['Name']
        for role in ('Student', 'Teacher'):
            side = (model.get('Metadata') or {}).get(role) or {}
            assert 'Metrics' not in side, (model['Name'], role)
