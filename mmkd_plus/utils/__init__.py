# Copyright (c) OpenMMLab. All rights reserved.
from .network_config import (PREFIX, config_root, network_config,
                             resolve_cfg_path)

__all__ = ['PREFIX', 'config_root', 'network_config', 'resolve_cfg_path']
