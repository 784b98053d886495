# The teacher (and the vanilla student): resnet18 trained with CE by MFD's
# recipe (50 epochs), without the balanced sampler.
_base_ = [
    '../_base_/models/resnet18_utkface.py',
    '../_base_/datasets/utkface_bs128.py',
    '../_base_/schedules/adam_plateau_50e.py', '../_base_/default_runtime.py'
]
