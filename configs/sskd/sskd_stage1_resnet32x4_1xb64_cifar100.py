_base_ = ['./_base_sskd_stage1_cifar100.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/resnet32x4_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/resnet32x4_1xb64_cifar100/epoch_240.pth',
    ss_head=dict(in_channels=256))
