# SSKD stage 1, rotation task (rotations by 0/90/180/270 degrees, 4 classes): the teacher's head is a classifier.
_base_ = ['./_base_sskd_stage1_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    ss_head=dict(in_channels=64, out_channels=4),
    ss_loss=dict(task='classification'))
