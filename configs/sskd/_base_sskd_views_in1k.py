# SSKD on ImageNet-1k: one random resized crop (224) and flip (supplement
# Sec. 2.1) shared by the four views, then rotation by 0/90/180/270 degrees
# (batch 32 images x 4 views per GPU). Sharing the crop is ours: the authors
# released no ImageNet code. Validation: the normal images. The supplement
# (Sec. 4.2) keeps the CIFAR-100 optimizer: SGD momentum 0.9, weight decay
# 5e-4; LR 0.1 for 8 GPUs x 32, x0.1 at 30/60/90, 100 epochs (the setting's
# schedule).
_base_ = ['../_base_/settings/imagenet_bs32_100e.py']
train_pipeline = [
    *_base_.train_pipeline[:-1],
    dict(
        type='LabelledMultiView',
        num_views=[1, 1, 1, 1],
        view_labels=[0, 1, 2, 3],
        view_names=['normal', 'rot90', 'rot180', 'rot270'],
        transforms=[[]] +
        [[dict(type='Rotate', angle=a, prob=1.0, random_negative_prob=0.0)]
         for a in (90.0, 180.0, 270.0)]),
    dict(type='PackMultiViewInputs'),
]
data_preprocessor = dict(type='mmpretrain.MultiViewDataPreprocessor')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
