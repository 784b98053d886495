# Copyright (c) OpenMMLab. All rights reserved.
"""Split a model's parameters between named optimizers by module name."""
import copy
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.optim import OptimWrapperDict

from mmkd_plus.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                                OPTIMIZERS)
from .joint_optim_wrapper_dict import JointOptimWrapperDict

__all__ = ['ModuleSplitOptimWrapperConstructor']

# keys of an entry read by the constructor, not passed to the wrapper
_ENTRY_KEYS = ('optimizer', 'modules', 'group_by_child')


def _match(path: List[str], module: List[str]) -> Optional[int]:
    """Index in ``path`` just past the first run of components equal to
    ``module``, or None."""
    n = len(module)
    for i in range(len(path) - n + 1):
        if path[i:i + n] == module:
            return i + n
    return None


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ModuleSplitOptimWrapperConstructor:
    """Build one optimizer wrapper per named entry, each over the parameters
    of the modules it names, into a :class:`JointOptimWrapperDict`.

    The config is a dict of entries (each as a single ``optim_wrapper``:
    ``optimizer`` and the wrapper's own keys such as ``type``,
    ``accumulative_counts``, ``clip_grad``, ``loss_scale``) plus:

    - ``modules`` (list[str]): the entry takes every parameter under a
      module of one of these names, a module name being one component of a
      parameter's dotted name (``'adversaries'`` matches
      ``head.adversaries.3.0.weight`` and, in a distiller,
      ``architecture.head.adversaries.3.0.weight``) or several consecutive
      ones (``'head.adversaries'``). At most one entry has no ``modules``:
      it takes every other parameter (the model).
    - ``group_by_child`` (bool): one parameter group per direct child of
      the named module (e.g. one per class adversary of a ``ModuleList``),
      in the model's order, each group recording its child's name under
      ``'child'`` (what :class:`PerGroupReduceOnPlateauLR` formats its
      monitor with). Adam's state is per parameter, so one Adam with a
      group per adversary is the same as one Adam per adversary. Defaults
      to False (one group).

    Parameters with ``requires_grad=False`` (a frozen teacher) belong to no
    entry, as in MMEngine's paramwise options. A DDP-wrapped model is
    split by its ``module``. Example (the AD recipe, see
    ``configs/_base_/schedules/adam_plateau_50e_ad.py``)::

        optim_wrapper = dict(
            _delete_=True,
            constructor='ModuleSplitOptimWrapperConstructor',
            model=dict(optimizer=dict(type='Adam', lr=1e-3)),
            adversaries=dict(
                modules=['adversaries'], group_by_child=True,
                optimizer=dict(type='Adam', lr=3e-4)))

    Args:
        optim_wrapper_cfg (dict): The entries, and optionally ``type``
            (the dict wrapper, default ``'JointOptimWrapperDict'``;
            ``'AmpOptimWrapper'``, as ``tools/train.py --amp`` sets it,
            makes every entry an ``AmpOptimWrapper`` with the given
            ``loss_scale`` and ``dtype``).
        paramwise_cfg (dict, optional): Not supported here (one clear
            error); give each entry its own optimizer instead.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg:
            raise ValueError(
                'ModuleSplitOptimWrapperConstructor: optim_wrapper.'
                'paramwise_cfg is not supported; each entry of '
                'optim_wrapper has its own optimizer (and lr), so remove '
                'paramwise_cfg (a config inheriting a single optimizer '
                'must replace optim_wrapper with _delete_=True).')
        cfg = copy.deepcopy(dict(optim_wrapper_cfg))
        dict_type = cfg.pop('type', JointOptimWrapperDict)
        amp = {k: cfg.pop(k) for k in ('loss_scale', 'dtype') if k in cfg}
        if dict_type == 'AmpOptimWrapper':
            # AMP for the whole dict (what tools/train.py --amp sets)
            for entry in cfg.values():
                if isinstance(entry, dict):
                    entry.setdefault('type', 'AmpOptimWrapper')
                    for key, value in amp.items():
                        entry.setdefault(key, value)
            dict_type = JointOptimWrapperDict
        elif amp:
            raise ValueError(
                'ModuleSplitOptimWrapperConstructor: optim_wrapper.' +
                ', optim_wrapper.'.join(amp) + ' apply to AmpOptimWrapper '
                "entries: set type='AmpOptimWrapper' (every entry, or the "
                'whole optim_wrapper) or remove them.')
        self.dict_cls = self._dict_class(dict_type)
        if not cfg:
            raise ValueError(
                'ModuleSplitOptimWrapperConstructor: optim_wrapper has no '
                'entry; give one per optimizer, e.g. model=dict(optimizer='
                "...), adversaries=dict(modules=['adversaries'], "
                'optimizer=...).')
        rest = []
        for name, entry in cfg.items():
            if not isinstance(entry, dict) or 'optimizer' not in entry:
                hint = (' (the single-optimizer optim_wrapper of a base '
                        'config was merged in: replace it with '
                        '_delete_=True)' if name in ('optimizer',
                                                     'paramwise_cfg',
                                                     'clip_grad') else '')
                raise ValueError(
                    f'ModuleSplitOptimWrapperConstructor: optim_wrapper.'
                    f'{name} must be an entry dict with an optimizer, got '
                    f'{entry!r}{hint}.')
            modules = entry.get('modules')
            if modules is None:
                rest.append(name)
            elif (isinstance(modules, str) or not modules
                  or not all(isinstance(m, str) and m for m in modules)):
                raise ValueError(
                    f'ModuleSplitOptimWrapperConstructor: optim_wrapper.'
                    f'{name}.modules must be a non-empty list of module '
                    f"names, e.g. ['adversaries'], got {modules!r}.")
        if len(rest) > 1:
            raise ValueError(
                'ModuleSplitOptimWrapperConstructor: only one entry may take '
                'the remaining parameters, but ' +
                ', '.join(f'optim_wrapper.{n}' for n in rest) +
                ' have no modules; give all but one of them modules=[...].')
        self.entries: Dict[str, dict] = cfg
        self.rest = rest[0] if rest else None

    @staticmethod
    def _dict_class(dict_type) -> type:
        """The dict wrapper class; one that updates every entry from one
        loss (not MMEngine's plain ``OptimWrapperDict``)."""
        if isinstance(dict_type, str):
            with OPTIM_WRAPPERS.switch_scope_and_registry(None) as registry:
                cls = registry.get(dict_type)
            if cls is None and dict_type == JointOptimWrapperDict.__name__:
                cls = JointOptimWrapperDict  # a run outside mmpretrain scope
        else:
            cls = dict_type
        if not (isinstance(cls, type) and issubclass(cls, OptimWrapperDict)
                and cls.update_params is not OptimWrapperDict.update_params):
            raise TypeError(
                'ModuleSplitOptimWrapperConstructor: optim_wrapper.type must '
                'be a dict wrapper that updates every entry from one loss, '
                f"such as 'JointOptimWrapperDict'; got {dict_type!r}. For "
                "mixed precision set type='AmpOptimWrapper' in every entry "
                'instead.')
        return cls

    def split(self, model: nn.Module) -> Dict[str, List[Tuple[str, object]]]:
        """``{entry: [(parameter name, child or None), ...]}`` in the
        model's parameter order (trainable parameters only).

        Raises:
            ValueError: a parameter is claimed by two entries, an entry
                claims no trainable parameter, or (without a remainder
                entry) a trainable parameter is claimed by none.
        """
        if hasattr(model, 'module'):
            model = model.module
        owned: Dict[str, List[Tuple[str, object]]] = {
            name: []
            for name in self.entries
        }
        unclaimed = []
        for pname, param in model.named_parameters():
            if not param.requires_grad:
                continue
            path = pname.split('.')[:-1]
            claims = []
            for name, entry in self.entries.items():
                for module in entry.get('modules') or []:
                    end = _match(path, module.split('.'))
                    if end is not None:
                        child = (
                            path[end] if entry.get('group_by_child')
                            and end < len(path) else None)
                        claims.append((name, child))
                        break
            if len(claims) > 1:
                raise ValueError(
                    f'ModuleSplitOptimWrapperConstructor: parameter '
                    f'{pname!r} would belong to ' +
                    ' and '.join(f'optim_wrapper.{n}.modules'
                                 for n, _ in claims) +
                    '; a parameter may have one optimizer only: narrow the '
                    "module names (e.g. 'head.adversaries').")
            if claims:
                owned[claims[0][0]].append((pname, claims[0][1]))
            elif self.rest is not None:
                owned[self.rest].append((pname, None))
            else:
                unclaimed.append(pname)
        if unclaimed:
            raise ValueError(
                'ModuleSplitOptimWrapperConstructor: no optim_wrapper entry '
                f'claims the trainable parameters {unclaimed[:5]}' +
                (f' (and {len(unclaimed) - 5} more)' if len(unclaimed) >
                 5 else '') +
                '; add an entry without modules to take the rest.')
        for name, params in owned.items():
            if not params:
                what = (f'modules={self.entries[name]["modules"]!r} match no '
                        'trainable parameter of the model'
                        if name != self.rest else
                        'the other entries claim every trainable parameter')
                raise ValueError(
                    f'ModuleSplitOptimWrapperConstructor: optim_wrapper.'
                    f'{name} claims no parameter: {what}. Fix '
                    f'optim_wrapper.{name}.modules (module names are '
                    'components of the parameter names) or remove the '
                    'entry.')
            if self.entries[name].get('group_by_child') and any(
                    child is None for _, child in params):
                bare = [p for p, child in params if child is None]
                raise ValueError(
                    f'ModuleSplitOptimWrapperConstructor: optim_wrapper.'
                    f'{name}.group_by_child needs parameters inside children '
                    f'of the named module, but {bare[:3]} are not.')
        return owned

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if hasattr(model, 'module'):
            model = model.module
        owned = self.split(model)
        params = dict(model.named_parameters())
        wrappers = OrderedDict()
        for name, entry in self.entries.items():
            if entry.get('group_by_child'):
                groups: Dict[str, dict] = OrderedDict()
                for pname, child in owned[name]:
                    groups.setdefault(child, dict(params=[], child=child))
                    groups[child]['params'].append(params[pname])
                param_groups = list(groups.values())
            else:
                param_groups = [
                    dict(params=[params[p] for p, _ in owned[name]])
                ]
            optimizer_cfg = dict(entry['optimizer'], params=param_groups)
            optimizer = OPTIMIZERS.build(optimizer_cfg)
            wrapper_cfg = {
                k: v
                for k, v in entry.items() if k not in _ENTRY_KEYS
            }
            wrapper_cfg.setdefault('type', 'OptimWrapper')
            wrappers[name] = OPTIM_WRAPPERS.build(
                wrapper_cfg, default_args=dict(optimizer=optimizer))
        return self.dict_cls(**wrappers)
