_base_ = [
    './_base_mfd.py', '../_base_/pairs/resnet18_resnet18_utkface.py',
    '../_base_/settings/utkface_bs128_50e_balanced.py'
]
model = dict(**_base_.pair, distiller=_base_.penultimate)  # lambda 3
