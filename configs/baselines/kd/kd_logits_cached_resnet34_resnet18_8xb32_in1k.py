# KD from a teacher cache (docs/teacher_cache.md) on ImageNet: the
# random-resized crop and flip of every view are replayed, and the teacher's
# 1000 logits are stored as their 10 largest (the other classes share the
# remaining probability mass at tau = 4): 42 bytes a view instead of 2,000.
_base_ = ['./kd_logits_resnet34_resnet18_8xb32_in1k.py']
model = dict(type='CachedTeacherDistill')
train_dataloader = dict(
    sampler=dict(type='EpochTaggedSampler'),
    dataset=dict(
        _delete_=True,
        _scope_='mmpretrain',
        type='TeacherCacheDataset',
        dataset=_base_.train_dataloader.dataset,
        cache_dir=None,  # <work_dir>/teacher_cache
        cyclic_epochs=False,
        topk=dict(fc=10)))
# the student alone: the teacher has no weights to evaluate
val_cfg = dict(_delete_=True, type='ValLoop')
custom_hooks = [dict(type='mmrazor.TeacherCacheHook')]
