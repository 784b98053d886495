# cifar10s_bs128_50e.py for a student with adversaries (AD+HKD, AD+FitNet):
# MFD's recipe with AD's optimizer and plateaus
# (../schedules/adam_plateau_50e_ad.py).
_base_ = [
    '../datasets/cifar10s_bs128.py', '../schedules/adam_plateau_50e_ad.py',
    '../default_runtime.py'
]
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
find_unused_parameters = True
