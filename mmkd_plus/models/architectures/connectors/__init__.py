# Copyright (c) OpenMMLab. All rights reserved.
from .linear_embed_connector import LinearEmbedConnector
from .mmd_feature_connector import MMDFeatureConnector
from .quest_connector import QuESTConnector
from .sskd_connector import SSKDHead
from .vid_connector import VIDRegressorConnector

__all__ = ['QuESTConnector', 'LinearEmbedConnector', 'VIDRegressorConnector',
           'MMDFeatureConnector',
           'SSKDHead']
