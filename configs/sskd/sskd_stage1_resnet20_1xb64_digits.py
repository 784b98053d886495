# SSKD stage 1 for the digits teacher resnet20; its last checkpoint is the
# teacher_ss_ckpt of sskd_resnet20_resnet8_1xb64_digits.py.
_base_ = ['./_base_sskd_stage1_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    ss_head=dict(in_channels=64))
