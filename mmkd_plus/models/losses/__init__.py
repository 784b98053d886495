# Copyright (c) OpenMMLab. All rights reserved.
from .cc_loss import CCLoss
from .factor_transfer_loss import FactorTransferLoss
from .fsp_loss import FSPLoss
from .mfd_loss import MFDLoss
from .nst_loss import NSTLoss
from .pkt_loss import PKTLoss
from .quest_loss import QuESTLoss
from .sp_loss import SPLoss
from .sskd_loss import SSKDContrastiveLoss, SSKDHeadLoss, SSKDKLLoss
from .sync_crd_loss import SyncCRDLoss
from .vid_loss import VIDLoss
from .wcord_loss import WCoRDLoss

__all__ = [
    'FactorTransferLoss', 'QuESTLoss', 'CCLoss', 'FSPLoss', 'NSTLoss',
    'PKTLoss', 'SPLoss', 'SyncCRDLoss', 'VIDLoss',
    'WCoRDLoss', 'MFDLoss', 'SSKDKLLoss', 'SSKDContrastiveLoss', 'SSKDHeadLoss'
]
