# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers shared by the CIFAR backbones."""
from typing import Sequence, Tuple, Union

__all__ = ['KAIMING_INIT', 'check_out_indices']

# the benchmark's initialisation: Kaiming-normal convs (fan-out), unit BN
KAIMING_INIT = (dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                     nonlinearity='relu'),
                dict(type='Constant', val=1, layer=['_BatchNorm']))


def check_out_indices(out_indices: Union[int, Sequence[int]],
                      num_stages: int) -> Tuple[int, ...]:
    """Normalise ``out_indices`` (negative counts from the end).

    Raises:
        ValueError: If an index does not name one of ``num_stages`` stages.
    """
    if isinstance(out_indices, int):
        out_indices = (out_indices, )
    result = []
    for idx in out_indices:
        real = idx + num_stages if idx < 0 else idx
        if not 0 <= real < num_stages:
            raise ValueError(
                f'out_indices: {idx} is not a stage index; valid are '
                f'0..{num_stages - 1} (or negative from the end)')
        result.append(real)
    return tuple(result)
