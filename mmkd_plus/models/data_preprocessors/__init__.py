# Copyright (c) OpenMMLab. All rights reserved.
from .multi_view_data_preprocessor import MultiViewDataPreprocessor

__all__ = ['MultiViewDataPreprocessor']
