# CRD from a teacher cache (docs/teacher_cache.md): the teacher's pooled
# 256-d features (its neck's output, float16) are read from the cache built
# by tools/cache_teacher.py; the teacher's embedding (crd_t) still trains.
_base_ = ['./crd_neck_resnet32x4_resnet8x4_1xb64_cifar100.py']
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
