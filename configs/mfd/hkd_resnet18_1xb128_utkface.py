_base_ = [
    './_base_hkd.py', '../_base_/pairs/resnet18_resnet18_utkface.py',
    '../_base_/settings/utkface_bs128_50e.py'
]
model = dict(**_base_.pair)  # T = 3 (Table 1)
