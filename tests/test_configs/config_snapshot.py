# Copyright (c) OpenMMLab. All rights reserved.
"""What a config resolves to, as plain data, for the config-equivalence test.

:func:`resolve` loads a config, builds its model (no teacher checkpoint is
read) and returns what decides a run: the built networks (parameter count
and a hash of every parameter and buffer name and shape; dtypes are left
out, so a flag stored as uint8 instead of bool is no change), the loss
weight of each classifier's cross-entropy, the distiller's recorders,
connectors, losses and forward mappings as configured, the teacher
checkpoint, and
every other top-level key (optimizer, schedule, dataloaders, hooks, ...)
as plain data. ``python tests/test_configs/config_snapshot.py OUT.json.gz``
writes the snapshot of every leaf config of the repository (gzipped,
compact JSON).
"""
import copy
import glob
import gzip
import hashlib
import json
import os.path as osp
import sys
from typing import Any, Dict, Optional

import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# classifier sub-dicts of a distillation model, compared as built networks
NETWORK_KEYS = ('architecture', 'teacher')


def leaf_configs(repo: str = REPO) -> Dict[str, str]:
    """Every config outside ``_base_`` folders, keyed by repo-relative path."""
    paths = glob.glob(osp.join(repo, 'configs', '**', '*.py'), recursive=True)
    return {
        osp.relpath(p, repo): p
        for p in sorted(paths) if '_base_' not in osp.relpath(p, repo).split(
            osp.sep) and not osp.basename(p).startswith('_base_')
    }


def to_plain(value: Any) -> Any:
    """ConfigDicts, tuples and other values as JSON-able plain data."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def network_facts(net: torch.nn.Module,
                  renames: Optional[Dict[str, str]] = None) -> dict:
    """Parameter count, structure hash and CE loss weight of a network."""
    renames = renames or {}
    rows = []
    for name, tensor in net.state_dict().items():
        for old, new in renames.items():
            name = name.replace(old, new)
        rows.append(f'{name}:{tuple(tensor.shape)}')
    facts = dict(
        type=type(net).__name__,
        params=sum(p.numel() for p in net.parameters()),
        state=hashlib.sha1('\n'.join(sorted(rows)).encode()).hexdigest(),
        num_state=len(rows))
    head = getattr(net, 'head', None)
    loss = getattr(head, 'loss_module', None)
    if loss is not None:
        facts['ce_loss_weight'] = float(getattr(loss, 'loss_weight', 1.0))
    return facts


def resolve(path: str) -> dict:
    """What the config at ``path`` resolves to (see the module docstring)."""
    cfg = Config.fromfile(path)
    out = {'keys': {}}
    for key, value in cfg.to_dict().items():
        if key != 'model':
            out['keys'][key] = to_plain(value)
    model_cfg = copy.deepcopy(cfg.model)
    out['teacher_ckpt'] = model_cfg.pop('teacher_ckpt', None)
    if 'teacher_ss_ckpt' in model_cfg:
        out['teacher_ss_ckpt'] = model_cfg.pop('teacher_ss_ckpt')
    plain = to_plain(model_cfg)
    distiller = plain.pop('distiller', None)
    for key in NETWORK_KEYS:
        plain.pop(key, None)
    if 'backbone' in plain:  # a plain classifier: compared as built
        plain = {k: v for k, v in plain.items()
                 if k in ('type', 'data_preprocessor')}
    out['model'] = plain
    out['distiller'] = distiller
    for key in ('teacher_ckpt', 'teacher_ss_ckpt'):  # no file is read
        if key in cfg.model:
            model_cfg[key] = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg)
    out['networks'] = {'model': network_facts(model)}
    for key, attr in (('architecture', 'student'), ('teacher', 'teacher')):
        net = getattr(model, attr, None)
        if key in cfg.model and net is not None:
            out['networks'][key] = network_facts(net)
    return out


def main(out_path: str) -> None:
    snapshot = {}
    for rel, path in leaf_configs().items():
        print(rel, flush=True)
        snapshot[rel] = resolve(path)
    with gzip.GzipFile(out_path, 'wb', mtime=0) as f:
        f.write(
            json.dumps(snapshot, sort_keys=True,
                       separators=(',', ':')).encode())


def load_snapshot(path: str) -> dict:
    """A snapshot written by :func:`main`."""
    with gzip.open(path, 'rt') as f:
        return json.load(f)


if __name__ == '__main__':
    import mmkd_plus  # noqa: F401  (registers the components)
    torch.set_num_threads(1)
    main(sys.argv[1])
