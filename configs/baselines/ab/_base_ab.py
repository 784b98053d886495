# AB recipe, main stage: CE only, from the initialised student (the leaf's
# load_from); StopDistillHook turns the AB losses off from epoch 0.
_base_ = ['./_base_ab_init.py']
model = dict(calculate_student_loss=True)
custom_hooks = [dict(type='mmrazor.StopDistillHook', stop_epoch=0)]
