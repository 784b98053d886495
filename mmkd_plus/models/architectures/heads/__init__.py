# Copyright (c) OpenMMLab. All rights reserved.
from .adversarial_cls_head import AdversarialClsHead

__all__ = ['AdversarialClsHead']
