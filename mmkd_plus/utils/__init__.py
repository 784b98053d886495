# Copyright (c) OpenMMLab. All rights reserved.
from .checkpoint import (CheckpointGlobalError, CorruptCheckpointError,
                         check_checkpoint_file, checkpoint_problem,
                         corrupt_checkpoint_message, load_checkpoint_file,
                         other_checkpoints)
from .data_root import merge_cfg_options, set_data_root
from .dist import (all_gather_rows, dist_info, finish_distributed,
                   gathered_sizes, is_distributed)
from .network_config import (PREFIX, checkpoint_recipe, config_root,
                             network_config, resolve_cfg_path,
                             runner_model_config)
from .registry_hints import (accepted_arguments, call_explained,
                             explain_unknown_argument, explain_unknown_type,
                             find_type_keys, registered_names)
from .setup_env import DEFAULT_SCOPE, register_all_modules

__all__ = [
    'CheckpointGlobalError', 'CorruptCheckpointError', 'check_checkpoint_file',
    'checkpoint_problem', 'corrupt_checkpoint_message',
    'load_checkpoint_file', 'other_checkpoints', 'PREFIX', 'config_root',
    'network_config', 'resolve_cfg_path', 'checkpoint_recipe',
    'runner_model_config',
    'all_gather_rows', 'dist_info', 'finish_distributed', 'gathered_sizes',
    'is_distributed', 'DEFAULT_SCOPE', 'register_all_modules',
    'merge_cfg_options', 'set_data_root', 'accepted_arguments',
    'call_explained', 'explain_unknown_argument', 'explain_unknown_type',
    'find_type_keys', 'registered_names'
]
