# KD from a teacher cache (docs/teacher_cache.md): the teacher of the online
# config runs once, in tools/cache_teacher.py; training replays the views it
# saw and reads its logits (float16) instead of running it.
_base_ = ['./kd_logits_resnet32x4_resnet8x4_1xb64_cifar100.py']
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
        topk=dict()))  # {recorder: k} stores the top k logits only
# the student alone: the teacher has no weights to evaluate
val_cfg = dict(_delete_=True, type='ValLoop')
custom_hooks = [dict(type='mmrazor.TeacherCacheHook')]
