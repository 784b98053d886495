# The teacher (and the vanilla student): half-width CIFARNet trained with CE
# by MFD's recipe, without the balanced sampler (shortened to 20 epochs).
_base_ = [
    '../_base_/models/cifarnet_half.py',
    '../_base_/datasets/digits_s_bs128.py',
    '../_base_/schedules/adam_plateau_50e.py', '../_base_/default_runtime.py'
]
train_cfg = dict(max_epochs=20)
