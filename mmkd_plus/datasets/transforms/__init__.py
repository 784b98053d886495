# Copyright (c) OpenMMLab. All rights reserved.
from .formatting import PackCRDInputs
from .multi_view import (JigsawPermute, LabelledMultiView, PackMultiViewInputs,
                         RandomHue)
from .recorded import (RecordedRandomCrop, RecordedRandomFlip,
                       RecordedRandomResizedCrop)

__all__ = [
    'PackCRDInputs', 'LabelledMultiView', 'JigsawPermute',
    'PackMultiViewInputs', 'RandomHue', 'RecordedRandomCrop',
    'RecordedRandomFlip', 'RecordedRandomResizedCrop'
]
