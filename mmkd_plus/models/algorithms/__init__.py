# Copyright (c) OpenMMLab. All rights reserved.
from .cached_teacher_distill import CachedTeacher, CachedTeacherDistill
from .checked_single_teacher_distill import (CheckedSingleTeacherDistill,
                                             drop_teacher_files,
                                             load_teacher_checkpoint,
                                             teacher_from_run_checkpoint)
from .sskd_distill import (SSKDDistill, SSKDTeacherStage,
                           load_sskd_stage1_checkpoint)

__all__ = [
    'CheckedSingleTeacherDistill', 'load_teacher_checkpoint', 'SSKDDistill',
    'SSKDTeacherStage', 'load_sskd_stage1_checkpoint', 'drop_teacher_files',
    'teacher_from_run_checkpoint', 'CachedTeacherDistill', 'CachedTeacher'
]
