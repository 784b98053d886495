# QuEST on CIFAR-100: the CRD benchmark's schedule with Nesterov momentum (the
# authors' code); every vector of the 50k training images clusters.
_base_ = ['./_base_quest.py', '../_base_/settings/cifar100_bs64_240e.py']
optim_wrapper = dict(optimizer=dict(nesterov=True))
# the authors' crop pads by reflection (valeoai/QuEST, cifar_dataset.py)
train_pipeline = [
    dict(_base_.train_pipeline[0], padding_mode='reflect'),
    *_base_.train_pipeline[1:]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
