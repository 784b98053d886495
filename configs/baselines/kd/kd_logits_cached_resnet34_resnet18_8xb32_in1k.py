# KD from a teacher cache (docs/teacher_cache.md) on ImageNet: the
# random-resized crop and flip of every view are replayed, and the teacher's
# 1000 logits are stored in full, float16 (2,000 bytes a view, 2.6 GB an
# epoch). train_dataloader.dataset.topk.fc=k stores the k largest instead
# (4 k + 2 bytes), the other classes sharing the rest of the mass at tau = 4:
# measure what that loses first (tools/analysis/teacher_cache_topk.py).
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
        topk=dict()))  # {recorder: k} stores the top k logits only
# the student alone: the teacher has no weights to evaluate
val_cfg = dict(_delete_=True, type='ValLoop')
custom_hooks = [dict(type='mmrazor.TeacherCacheHook')]
