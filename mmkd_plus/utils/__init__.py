# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import (CheckpointGlobalError, CorruptCheckpointError,
                         check_checkpoint_file, checkpoint_problem,
                         corrupt_checkpoint_message, load_checkpoint_file,
                         other_checkpoints)

__all__ = [
    'CheckpointGlobalError', 'CorruptCheckpointError', 'check_checkpoint_file',
    'checkpoint_problem', 'corrupt_checkpoint_message',
    'load_checkpoint_file', 'other_checkpoints'
]
