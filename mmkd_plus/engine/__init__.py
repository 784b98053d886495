# Copyright (c) OpenMMLab. All rights reserved.
from . import hooks, optimizers, schedulers
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .schedulers import *  # noqa: F401,F403
from .teacher_features import (TeacherFeatureExtractor, find_quest_loss,
                               vocabulary_dataloader)

__all__ = hooks.__all__ + optimizers.__all__ + schedulers.__all__ + [
    'TeacherFeatureExtractor', 'find_quest_loss', 'vocabulary_dataloader'
]
