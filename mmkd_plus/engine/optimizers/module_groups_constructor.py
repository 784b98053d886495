# Copyright (c) OpenMMLab. All rights reserved.
"""One optimizer whose parameter groups are matched by module name."""
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper

from mmkd_plus.registry import OPTIM_WRAPPER_CONSTRUCTORS

__all__ = ['ModuleGroupsOptimWrapperConstructor']

_KEY = 'optim_wrapper.paramwise_cfg.module_groups'
_EXAMPLE = ("module_groups=dict(adversaries=dict(group_by_child=True, "
            'lr=3e-4, weight_decay=0))')


def _match(path: List[str], module: List[str]) -> Optional[int]:
    """Index in ``path`` just past the first run of components equal to
    ``module``, or None."""
    n = len(module)
    for i in range(len(path) - n + 1):
        if path[i:i + n] == module:
            return i + n
    return None


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ModuleGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Build one optimizer (in a standard ``OptimWrapper``) whose parameter
    groups are the parameters of named modules, each with its own settings.

    ``paramwise_cfg.module_groups`` maps a module name to the settings of
    its parameters' group, which override the base ``optimizer``'s (any of
    the optimizer's arguments: ``lr``, ``weight_decay``, ``betas``, ...).
    A module name is one component of a parameter's dotted name
    (``'adversaries'`` matches ``head.adversaries.3.0.weight`` and, in a
    distiller, ``architecture.head.adversaries.3.0.weight``) or several
    consecutive ones (``'head.adversaries'``). With ``group_by_child=True``
    the module's parameters form one group per direct child (e.g. one per
    class adversary of a ``ModuleList``), in the model's order, each group
    recording its child's name under ``'child'``, which
    :class:`~mmkd_plus.engine.PerGroupReduceOnPlateauLR` formats its
    ``child_monitor`` with.

    The groups are: first every other trainable parameter, with the base
    settings (omitted when the named modules take every parameter), then
    the named modules' groups in the order of ``module_groups``.
    Parameters with ``requires_grad=False`` (a frozen teacher) belong to no
    group. A DDP-wrapped model is split by its ``module``. Everything else
    (``type``, and with it ``AmpOptimWrapper`` and ``tools/train.py
    --amp``; ``accumulative_counts``; ``clip_grad``, which clips the norm
    of every group's gradients together) is MMEngine's
    ``DefaultOptimWrapperConstructor``'s.

    With Adam, whose state is per parameter and whose step reads each
    group's own settings, this is the same as one Adam per group stepped
    after one backward pass: adversarial debiasing in the MFD code
    (https://arxiv.org/abs/2106.04411) trains the network with an Adam of
    lr 1e-3 and each class adversary with its own Adam of lr 3e-4, which
    ``configs/_base_/schedules/adam_plateau_50e_ad.py`` writes as::

        optim_wrapper = dict(
            optimizer=dict(type='Adam', lr=1e-3, weight_decay=0),
            constructor='ModuleGroupsOptimWrapperConstructor',
            paramwise_cfg=dict(
                module_groups=dict(
                    adversaries=dict(
                        group_by_child=True, lr=3e-4, weight_decay=0))))

    Args:
        optim_wrapper_cfg (dict): The ``optim_wrapper`` config, as for
            ``DefaultOptimWrapperConstructor``.
        paramwise_cfg (dict): ``module_groups``, ``{module name: settings}``
            (its only key).
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        other = sorted(set(self.paramwise_cfg) - {'module_groups'})
        if other:
            raise ValueError(
                f'{type(self).__name__}: optim_wrapper.paramwise_cfg.'
                f'{other[0]} is not supported: the groups are given by '
                f'{_KEY} only (absolute settings per module, e.g. '
                f'{_EXAMPLE}).')
        groups = self.paramwise_cfg.get('module_groups')
        if not isinstance(groups, dict) or not groups:
            raise ValueError(
                f'{type(self).__name__} needs {_KEY}, a dict of module name '
                f'to group settings, e.g. {_EXAMPLE}; got {groups!r}.')
        for name, options in groups.items():
            if not isinstance(name, str) or '' in name.split('.'):
                raise ValueError(
                    f'{type(self).__name__}: {_KEY} keys are module names '
                    f"such as 'adversaries' or 'head.adversaries', got "
                    f'{name!r}.')
            if (not isinstance(options, dict) or not isinstance(
                    options.get('group_by_child', False), bool)
                    or {'params', 'child'} & set(options)):
                raise ValueError(
                    f'{type(self).__name__}: {_KEY}.{name} must be a dict of '
                    'optimizer settings (and group_by_child=True/False; '
                    f"params and child are set here), got {options!r}.")
        self.module_groups: Dict[str, dict] = {
            name: dict(options)
            for name, options in groups.items()
        }

    def split(
            self, model: nn.Module
    ) -> List[Tuple[str, Optional[str], Optional[str]]]:
        """``[(parameter name, module name or None, child or None), ...]``
        of the trainable parameters, in the model's order.

        Raises:
            ValueError: a parameter is matched by two module names, a module
                name matches no trainable parameter, or a
                ``group_by_child`` module has parameters outside a child.
        """
        if hasattr(model, 'module'):
            model = model.module
        owners = []
        for pname, param in model.named_parameters():
            if not param.requires_grad:
                continue
            path = pname.split('.')[:-1]
            claims = []
            for name, options in self.module_groups.items():
                end = _match(path, name.split('.'))
                if end is not None:
                    child = (
                        path[end] if options.get('group_by_child')
                        and end < len(path) else None)
                    claims.append((name, child))
            if len(claims) > 1:
                raise ValueError(
                    f'{type(self).__name__}: parameter {pname!r} is under '
                    'the modules ' + ' and '.join(repr(n)
                                                  for n, _ in claims) +
                    f' of {_KEY}; a parameter has one group only: narrow '
                    "the module names (e.g. 'head.adversaries').")
            owners.append((pname, *(claims[0] if claims else (None, None))))
        for name, options in self.module_groups.items():
            mine = [(p, child) for p, owner, child in owners if owner == name]
            if not mine:
                raise ValueError(
                    f'{type(self).__name__}: {_KEY}.{name} matches no '
                    'trainable parameter of the model; module names are '
                    'components of the parameter names (e.g. '
                    "'adversaries' in 'head.adversaries.0.0.weight'). Fix "
                    'or remove the entry.')
            bare = [p for p, child in mine if child is None]
            if options.get('group_by_child') and bare:
                raise ValueError(
                    f'{type(self).__name__}: {_KEY}.{name}.group_by_child '
                    'needs parameters inside children of the module, but '
                    f'{bare[:3]} are not; set group_by_child=False or name '
                    'the parent module.')
        return owners

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        """Add the parameter groups of ``module`` to ``params`` (called by
        ``DefaultOptimWrapperConstructor.__call__``)."""
        owners = self.split(module)
        tensors = dict(module.named_parameters())
        rest = [tensors[p] for p, owner, _ in owners if owner is None]
        if rest:
            params.append(dict(params=rest))
        for name, options in self.module_groups.items():
            settings = {
                k: v
                for k, v in options.items() if k != 'group_by_child'
            }
            groups: Dict[object, dict] = {}
            for pname, owner, child in owners:
                if owner != name:
                    continue
                if child not in groups:
                    groups[child] = dict(params=[], **settings)
                    if child is not None:
                        groups[child]['child'] = child
                groups[child]['params'].append(tensors[pname])
            params.extend(groups.values())

    def __call__(self, model: nn.Module) -> OptimWrapper:
        optim_wrapper = super().__call__(model)
        optimizer = optim_wrapper.optimizer
        known = set(optimizer.defaults)
        for name, options in self.module_groups.items():
            unknown = sorted(set(options) - known - {'group_by_child'})
            if unknown:
                raise ValueError(
                    f'{type(self).__name__}: {_KEY}.{name}.{unknown[0]} is '
                    f'not a setting of {type(optimizer).__name__} (it has '
                    f'{sorted(known)}); fix or remove it.')
        return optim_wrapper
