# digits_s_bs128_20e.py for a student with adversaries (AD+HKD, AD+FitNet):
# MFD's recipe with AD's optimizer and plateaus
# (../schedules/adam_plateau_50e_ad.py), shortened to 20 epochs.
_base_ = [
    '../datasets/digits_s_bs128.py', '../schedules/adam_plateau_50e_ad.py',
    '../default_runtime.py'
]
train_cfg = dict(max_epochs=20)
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
