# Copyright (c) OpenMMLab. All rights reserved.
from .per_group_plateau_lr import PerGroupReduceOnPlateauLR

__all__ = ['PerGroupReduceOnPlateauLR']
