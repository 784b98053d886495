# SSKD with the paper's transformation pool instead of the rotations (stage 1
# must use the same views: sskd_pool_stage1_resnet32x4_1xb64_cifar100.py).
_base_ = ['./_base_sskd.py', './_base_sskd_pool_views_cifar100.py', '../_base_/pairs/resnet32x4_resnet8x4_cifar100.py']
model = dict(**_base_.pair, teacher_ss_ckpt='work_dirs/sskd_pool_stage1_resnet32x4_1xb64_cifar100/epoch_60.pth',
    distiller=dict(connectors=dict(ss_s=dict(in_channels=_base_.channels.feat[0]),
                                   ss_t=dict(in_channels=_base_.channels.feat[1]))))
