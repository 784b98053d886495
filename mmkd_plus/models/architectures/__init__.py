# Copyright (c) OpenMMLab. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .connectors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
