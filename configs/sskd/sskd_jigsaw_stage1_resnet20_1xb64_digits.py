# SSKD stage 1, jigsaw task (2x2 jigsaw copies, 24 permutation classes): the teacher's head is a classifier.
_base_ = ['./_base_sskd_stage1.py', './_base_sskd_jigsaw_views_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    ss_head=dict(in_channels=64, out_channels=24),
    ss_loss=dict(task='classification'))
# the schedule of _base_sskd_stage1_digits.py
param_scheduler = dict(T_max=10)
train_cfg = dict(max_epochs=10)
val_cfg = dict(_delete_=True)
