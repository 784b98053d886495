# Copyright (c) OpenMMLab. All rights reserved.
from .linear_embed_connector import LinearEmbedConnector
from .quest_connector import QuESTConnector
from .vid_connector import VIDRegressorConnector

__all__ = ['QuESTConnector', 'LinearEmbedConnector', 'VIDRegressorConnector']
