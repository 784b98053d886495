# Copyright (c) OpenMMLab. All rights reserved.
from .metrics import FairnessMetric, group_class_accuracy

__all__ = ['FairnessMetric', 'group_class_accuracy']
