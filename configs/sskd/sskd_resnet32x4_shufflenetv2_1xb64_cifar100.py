_base_ = ['./_base_sskd.py', './_base_sskd_views_cifar100.py', '../_base_/pairs/resnet32x4_shufflenetv2_cifar100.py']
model = dict(**_base_.pair, teacher_ss_ckpt='work_dirs/sskd_stage1_resnet32x4_1xb64_cifar100/epoch_60.pth',
    distiller=dict(connectors=dict(ss_s=dict(in_channels=_base_.channels.feat[0]),
                                   ss_t=dict(in_channels=_base_.channels.feat[1]))))
# MobileNetV2 and ShuffleNet students train at a 5x lower LR
optim_wrapper = dict(optimizer=dict(lr=0.01))
