# Copyright (c) OpenMMLab. All rights reserved.
from .check_finite_loss_hook import CheckFiniteLossHook
from .hint_stage_hook import HintStageHook
from .loss_weight_schedule_hook import LinearLossWeightHook
from .quest_vocabulary_hook import QuESTVocabularyHook
from .rng_state_hook import RNGStateHook
from .teacher_cache_hook import TeacherCacheHook

__all__ = [
    'CheckFiniteLossHook', 'HintStageHook', 'QuESTVocabularyHook',
    'LinearLossWeightHook', 'RNGStateHook', 'TeacherCacheHook'
]
