# Copyright (c) OpenMMLab. All rights reserved.
from .checked_single_teacher_distill import (CheckedSingleTeacherDistill,
                                             load_teacher_checkpoint)

__all__ = ['CheckedSingleTeacherDistill', 'load_teacher_checkpoint']
