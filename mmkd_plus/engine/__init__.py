# Copyright (c) OpenMMLab. All rights reserved.
from . import hooks
from .hooks import *  # noqa: F401,F403
from .teacher_features import (TeacherFeatureExtractor, find_quest_loss,
                               vocabulary_dataloader)

__all__ = hooks.__all__ + [
    'TeacherFeatureExtractor', 'find_quest_loss', 'vocabulary_dataloader'
]
