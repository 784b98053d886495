# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import (CheckpointGlobalError, CorruptCheckpointError,
                         check_checkpoint_file, checkpoint_problem,
                         corrupt_checkpoint_message, load_checkpoint_file,
                         other_checkpoints)
from .network_config import (PREFIX, config_root, network_config,
                             resolve_cfg_path)

__all__ = [
    'CheckpointGlobalError', 'CorruptCheckpointError', 'check_checkpoint_file',
    'checkpoint_problem', 'corrupt_checkpoint_message',
    'load_checkpoint_file', 'other_checkpoints', 'PREFIX', 'config_root',
    'network_config', 'resolve_cfg_path'
]
