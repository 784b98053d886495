# Copyright (c) OpenMMLab. All rights reserved.
"""Boolean flags kept as ``uint8`` buffers.

A flag buffer (``QuESTLoss.vocab_ready``, ``CRDMemory.z_set``) is a scalar
0/1 of dtype ``uint8`` rather than ``bool``: DDP broadcasts every buffer,
and the gloo backend of torch 1.13 cannot broadcast a bool tensor
(``RuntimeError: Invalid scalar type``), which stopped CPU DDP runs there.
``bool(flag)`` and ``flag.fill_(True)`` work the same on both dtypes.
Checkpoints written while the flags were bool still load: the owning
module casts them in ``_load_from_state_dict`` with
:func:`upgrade_bool_flags`.
"""
from typing import Iterable

import torch

__all__ = ['flag_buffer', 'upgrade_bool_flags']


def flag_buffer(value: bool = False) -> torch.Tensor:
    """A scalar ``uint8`` flag holding ``value`` (0 or 1)."""
    return torch.tensor(int(bool(value)), dtype=torch.uint8)


def upgrade_bool_flags(state_dict: dict, prefix: str,
                       names: Iterable[str]) -> None:
    """Cast the bool entries ``prefix + name`` of ``state_dict`` to uint8.

    Call it from a module's ``_load_from_state_dict`` so a checkpoint saved
    with bool flags loads into uint8 buffers (also with
    ``load_state_dict(..., assign=True)``, which keeps the stored dtype).

    Args:
        state_dict (dict): The state dict being loaded (modified in place).
        prefix (str): The module's key prefix, as given to
            ``_load_from_state_dict``.
        names (Iterable[str]): The flag buffers of the module.
    """
    for name in names:
        value = state_dict.get(prefix + name)
        if isinstance(value, torch.Tensor) and value.dtype == torch.bool:
            state_dict[prefix + name] = value.to(torch.uint8)
