# QuEST on CIFAR-10: K = 256 and tau = 0.005, batch 128, Nesterov momentum.
_base_ = ['./_base_quest.py', '../_base_/settings/cifar10_bs128_200e.py']
model = dict(
    distiller=dict(
        connectors=dict(quest_head=dict(num_words=256)),
        distill_losses=dict(loss_quest=dict(num_words=256, tau=0.005))))
optim_wrapper = dict(optimizer=dict(nesterov=True))
# the crop pads by reflection, as the authors' CIFAR-100 recipe
# (valeoai/QuEST, cifar_dataset.py; they released no CIFAR-10 code)
train_pipeline = [
    dict(_base_.train_pipeline[0], padding_mode='reflect'),
    *_base_.train_pipeline[1:]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
custom_hooks = [dict(_base_.custom_hooks[0], batch_size=128)]
