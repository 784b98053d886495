# Copyright (c) OpenMMLab. All rights reserved.
from .formatting import PackCRDInputs
from .multi_view import (JigsawPermute, LabelledMultiView, PackMultiViewInputs,
                         RandomHue)

__all__ = [
    'PackCRDInputs', 'LabelledMultiView', 'JigsawPermute',
    'PackMultiViewInputs', 'RandomHue'
]
