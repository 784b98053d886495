# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus: QuEST, SSKD, WCoRD, MFD and their baselines for MMRazor 1.x.

Dependencies are declared the OpenMMLab way (``requirements/``):

- ``runtime.txt``: ``install_requires``, only what the package needs and
  an existing MMRazor deployment cannot already have wrong (no torch pin,
  no mmcv-lite by name), so installing into a deployment adds the package
  and changes nothing it has;
- ``mminstall.txt``: the ``mim`` extra, mmcv and mmengine ranges (checked
  when ``mmkd_plus`` is imported);
- ``tests.txt``, ``demo.txt``: extras;
- ``tested.txt``: the exact tested versions, constraints the Makefile
  passes with ``-c``; ``legacy.txt``: the deployment stack of
  ``make test-legacy``.

Configs, tools and model-index.yml travel with the package in
``mmkd_plus/.mim`` (symlinks for an editable install, copies in a wheel or
sdist), as OpenMMLab packages ship them for ``mim``.
"""
import os
import os.path as osp
import shutil
import sys
import warnings
from typing import Dict, List

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))

#: What goes into mmkd_plus/.mim (paths relative to the repository).
MIM_FILES = ('configs', 'tools', 'model-index.yml')

#: Optional compiled dependencies, each an extra. FAISS k-means for QuEST's
#: vocabulary: install exactly one of 'cpu' and 'gpu' (they share the
#: `faiss` package); without either a torch k-means runs. POT for WCoRD's
#: Sinkhorn (it brings scipy); ot_solver='ipot' needs nothing.
OPTIONAL_EXTRAS = {
    'cpu': ['faiss-cpu'],
    'gpu': ['faiss-gpu'],
    'wcord': ['POT']
}


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmkd_plus', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def parse_requirements(name: str) -> List[str]:
    """The requirement lines of ``requirements/<name>`` (no comments)."""
    with open(osp.join(HERE, 'requirements', name)) as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def extras_require() -> Dict[str, List[str]]:
    extras = {
        'mim': parse_requirements('mminstall.txt'),
        'tests': parse_requirements('tests.txt'),
        'demo': parse_requirements('demo.txt'),
        **OPTIONAL_EXTRAS
    }
    return extras


def add_mim_extension() -> None:
    """Fill ``mmkd_plus/.mim`` with :data:`MIM_FILES`.

    An editable install (``develop``, ``editable_wheel``) gets relative
    symlinks to the repository's files, so edits show at once; building a
    wheel or an sdist gets copies. Other commands leave ``.mim`` alone.
    """
    commands = set(sys.argv[1:])
    if commands & {'develop', 'editable_wheel'}:
        mode = 'symlink'
    elif commands & {'sdist', 'bdist_wheel', 'build', 'build_py'}:
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(HERE, 'mmkd_plus', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(HERE, name)
        dst = osp.join(mim_dir, name)
        if not osp.exists(src):
            # building a wheel from an sdist: the copies are already there
            if not osp.exists(dst):
                warnings.warn(f'{name} is missing: not shipped in .mim')
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src,
                dst,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        long_description = f.read()
    setup(
        name='mmkd_plus',
        version=read_version(),
        description=('Knowledge distillation for MMRazor 1.x on PyTorch '
                     '1.13 and 2.x: QuEST, SSKD, WCoRD, MFD and their '
                     'baselines'),
        long_description=long_description,
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('tests', 'tests.*', 'configs',
                                        'configs.*', 'tools', 'tools.*')),
        include_package_data=True,
        install_requires=parse_requirements('runtime.txt'),
        extras_require=extras_require(),
        classifiers=[
            'Programming Language :: Python :: 3',
            'Programming Language :: Python :: 3.10',
            'Programming Language :: Python :: 3.11',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
        ],
        zip_safe=False,
    )
