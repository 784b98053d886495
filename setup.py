# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus: QuEST, SSKD, WCoRD, MFD and their baselines for MMRazor 1.x.

The pins are the stack tested on PyTorch 2.13 (see README, "Tested
dependency set"). Install torch and torchvision first, by exact version, so
that pip does not pull a different build:

    pip install torch==2.13.0 torchvision==0.28.0
    pip install -e '.[cpu,tests]'     # FAISS on the CPU
    pip install -e '.[gpu,tests]'     # FAISS with CUDA (instead of cpu)
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmkd_plus', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


INSTALL_REQUIRES = [
    'torch==2.13.0',
    'torchvision==0.28.0',
    'mmengine==0.10.7',
    'mmcv-lite==2.1.0',
    'mmpretrain==1.2.0',
    'mmrazor==1.0.0',
    # mmengine imports pkg_resources (removed in setuptools 82) for
    # cfg_path='mmpretrain::...' configs
    'setuptools<82',
    # MMRazor imports joblib without declaring it
    'joblib',
    'numpy>=1.24',
    'scipy',
    'scikit-learn',
    'matplotlib',
    # optimal transport (WCoRD's local term), torch backend
    'POT',
]

EXTRAS_REQUIRE = {
    # FAISS k-means (QuEST vocabulary). Install exactly one of the two: they
    # share the `faiss` package. Without either, a pure-torch k-means runs.
    'cpu': ['faiss-cpu==1.15.1'],
    'gpu': ['faiss-gpu==1.15.1'],
    'tests': ['pytest>=7', 'pytest-timeout'],
}

with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
    LONG_DESCRIPTION = f.read()

setup(
    name='mmkd_plus',
    version=read_version(),
    description=('Knowledge distillation for MMRazor 1.x on PyTorch 2: '
                 'QuEST, SSKD, WCoRD, MFD and their baselines'),
    long_description=LONG_DESCRIPTION,
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    python_requires='>=3.8',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False,
)
