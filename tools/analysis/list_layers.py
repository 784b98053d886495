# Copyright (c) OpenMMLab. All rights reserved.
# isort:skip_file  (mmkd_plus must be imported before OpenMMLab)
"""Print the module names a config's recorders can name, with output shapes.

    python tools/analysis/list_layers.py CONFIG [--params] [--grep TEXT]
        [--input-size H W] [--cfg-options k=v ...]

For a distillation config it lists the student (``model.architecture``:
the names a ``student_recorders.*.source`` takes) and the teacher
(``model.teacher``: ``teacher_recorders.*.source``); for a plain config, the
model. Each row: the module name, its class, its parameter count and the
shape of its output for one image of ``--input-size`` (by default the crop
size of the config's test pipeline, else 32 x 32). ``--params`` lists
parameter names instead (for ``Parameter`` recorders). The networks are
built without any checkpoint, and even when the distiller's recorders are
wrong, so this is what to run when a recorder error asks for the names.

Example::

    python tools/analysis/list_layers.py \\
        configs/baselines/kd/kd_logits_resnet20_resnet8_1xb64_digits.py \\
        --grep layer3
"""
import argparse
import copy
from typing import Dict, List, Optional, Tuple

# mmkd_plus first: its torch-2 fixes must precede any OpenMMLab import
import mmkd_plus  # noqa: F401
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, DefaultScope

from mmkd_plus.utils import (call_explained, merge_cfg_options,
                             network_config)


def networks(cfg) -> List[Tuple[str, str, dict]]:
    """``(title, config key, model config)`` of each network to list."""
    model = cfg.model
    if 'architecture' in model and 'teacher' in model:
        # networks given by the config that trains them (cfg_path)
        return [('student', 'model.architecture',
                 network_config(model.architecture, 'model.architecture')),
                ('teacher', 'model.teacher',
                 network_config(model.teacher, 'model.teacher'))]
    return [('model', 'model', model)]


def input_size(cfg) -> Tuple[int, int]:
    """The crop size of the test (else train) pipeline, else 32 x 32."""
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset', {})
        dataset = dataset.get('dataset', dataset)  # a wrapped dataset
        for step in dataset.get('pipeline', []) or []:
            size = step.get('crop_size')
            if size is None and step.get('type') == 'RandomResizedCrop':
                size = step.get('scale')
            if size is not None:
                return (size, size) if isinstance(size, int) else tuple(size)
    return (32, 32)


def build(net_cfg: dict, key: str, default_scope: str) -> torch.nn.Module:
    """Build one network in the config's scope (no weights are loaded)."""
    net_cfg = copy.deepcopy(dict(net_cfg))
    net_cfg.pop('init_cfg', None)
    scope = net_cfg.pop('_scope_', None) or default_scope
    with DefaultScope.overwrite_default_scope(scope):
        return call_explained(MODELS.build, net_cfg, net_cfg, key_prefix=key)


def output_shapes(model: torch.nn.Module,
                  size: Tuple[int, int]) -> Dict[str, str]:
    """Output shape of every module for one ``3 x H x W`` image."""
    shapes: Dict[str, str] = {}
    handles = []

    def remember(name):

        def hook(module, args, output):
            if isinstance(output, torch.Tensor):
                shapes[name] = str(tuple(output.shape))
            elif isinstance(output, (tuple, list)) and output and all(
                    isinstance(o, torch.Tensor) for o in output):
                shapes[name] = ' '.join(str(tuple(o.shape)) for o in output)

        return hook

    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_hook(remember(name)))
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, *size), mode='tensor')
    except Exception as err:  # shapes are a help, not a requirement
        shapes['*'] = f'(no shapes: the forward pass failed: {err})'
    finally:
        for handle in handles:
            handle.remove()
    return shapes


def rows(model: torch.nn.Module, params: bool, grep: Optional[str],
         size: Tuple[int, int]) -> List[str]:
    """The printed lines of one network."""
    lines = []
    if params:
        for name, p in model.named_parameters():
            if grep is None or grep in name:
                lines.append(f'  {name:<40} {str(tuple(p.shape))}')
        return lines
    shapes = output_shapes(model, size)
    if '*' in shapes:
        lines.append('  ' + shapes['*'])
    for name, module in model.named_modules():
        if not name or (grep is not None and grep not in name):
            continue
        count = sum(p.numel() for p in module.parameters())
        lines.append(f'  {name:<40} {type(module).__name__:<24} '
                     f'{count:>10,}  {shapes.get(name, "")}')
    return lines


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('config')
    parser.add_argument('--params', action='store_true',
                        help='list parameter names instead of modules')
    parser.add_argument('--grep', help='only names containing this text')
    parser.add_argument('--input-size', nargs=2, type=int, metavar=('H', 'W'),
                        help='image size for the output shapes')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options)
    size = tuple(args.input_size) if args.input_size else input_size(cfg)
    scope = cfg.get('default_scope', 'mmpretrain')
    out = []
    for title, key, net_cfg in networks(cfg):
        model = build(net_cfg, key, scope)
        use = {
            'student': 'model.distiller.student_recorders.<name>.source',
            'teacher': 'model.distiller.teacher_recorders.<name>.source',
        }.get(title, 'a recorder source')
        kind = 'parameters' if args.params else (
            f'modules: name, class, parameters, output for 1x3x{size[0]}x'
            f'{size[1]}')
        out.append(f'{title} ({key}, {type(model).__name__}); {kind}; '
                   f'use a name as {use}')
        out.extend(rows(model, args.params, args.grep, size))
        out.append('')
    text = '\n'.join(out)
    print(text)
    return text


if __name__ == '__main__':
    main()
