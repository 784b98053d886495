# The teacher (and the vanilla student): shufflenetv2 trained with CE by MFD's
# recipe (50 epochs), without the balanced sampler.
_base_ = [
    '../_base_/models/shufflenetv2_celeba.py',
    '../_base_/datasets/celeba_bs128.py',
    '../_base_/schedules/adam_plateau_50e.py', '../_base_/default_runtime.py'
]
