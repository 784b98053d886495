# SSKD stage 1, exemplar task (the paper's pool, one class per training image (1,438)): the teacher's head is a classifier.
_base_ = ['./_base_sskd_stage1.py', './_base_sskd_exemplar_views_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    ss_head=dict(in_channels=64, out_channels=1438),
    ss_loss=dict(task='classification'))
# the schedule of _base_sskd_stage1_digits.py
param_scheduler = dict(T_max=10)
train_cfg = dict(max_epochs=10)
val_cfg = dict(_delete_=True)
