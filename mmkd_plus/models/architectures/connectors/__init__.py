# Copyright (c) OpenMMLab. All rights reserved.
from .linear_embed_connector import LinearEmbedConnector
from .vid_connector import VIDRegressorConnector

__all__ = ['LinearEmbedConnector', 'VIDRegressorConnector']
