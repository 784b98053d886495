# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Write a config as one self-contained file, to use outside this repository.

    python tools/export_config.py CONFIG OUT.py [--cfg-options k=v ...]

Our configs inherit relative ``_base_`` files (method recipes, settings),
so a leaf copied alone into another deployment's ``configs/`` fails to
load. The exported file is the merged config as it is: no ``_base_``, every
key written out, ``custom_imports`` still loading ``mmkd_plus`` (which must
be installed where it runs, and resolves the networks' ``cfg_path``).
``work_dir`` is left out, so the tool that runs it chooses one. Nothing
else needs leaving out: a config's top-level keys are the Runner's and
OpenMMLab's usual ``dataset_type``, ``data_root``, ``train_pipeline`` and
``test_pipeline`` (the configs' building blocks are ``__`` locals, which
MMEngine drops). Relative paths (``data_root``, ``model.teacher_ckpt``)
stay relative to the folder the run starts in.

Example::

    python tools/export_config.py \\
        configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py \\
        /path/to/deployment/configs/kd_digits.py
    cd /path/to/deployment && python -m mmkd_plus \\
        $(python -c "import mmrazor, os; print(os.path.dirname(\\
mmrazor.__file__))")/.mim/tools/train.py configs/kd_digits.py
"""
import argparse
import os
import os.path as osp

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
from mmengine.config import Config, DictAction

from mmkd_plus.utils import merge_cfg_options


def export(config: str, out: str, cfg_options=None) -> Config:
    """Load ``config``, merge it, and write it to ``out``."""
    cfg = Config.fromfile(config)
    merge_cfg_options(cfg, cfg_options)
    cfg.pop('work_dir', None)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    text = cfg.pretty_text
    header = (f'# Exported by tools/export_config.py from {config}: the '
              'merged config,\n# self-contained (no _base_). Needs mmkd_plus '
              'installed; relative paths\n# are relative to the folder the '
              'run starts in.\n')
    with open(out, 'w') as f:
        f.write(header + text)
    # what was written must load on its own, to the same settings
    written = Config.fromfile(out)
    if written.to_dict() != cfg.to_dict():
        raise RuntimeError(f'{out} does not load back to the config it was '
                           f'exported from ({config}); please report this.')
    return written


def main(argv=None) -> Config:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('config', help='the config to export')
    parser.add_argument('out', help='the .py file to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings before export, key=value')
    args = parser.parse_args(argv)
    if not args.out.endswith('.py'):
        parser.error(f'OUT must end in .py (got {args.out!r})')
    cfg = export(args.config, args.out, args.cfg_options)
    print(f'wrote {osp.abspath(args.out)} ({len(cfg.keys())} top-level keys)')
    return cfg


if __name__ == '__main__':
    main()
