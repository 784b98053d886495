# Copyright (c) OpenMMLab. All rights reserved.
from .formatting import PackCRDInputs

__all__ = ['PackCRDInputs']
