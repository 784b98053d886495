# Runtime shared by every mmkd_plus config.
# mmpretrain is the default scope (datasets, transforms, classifiers, metrics);
# distillation models set _scope_='mmrazor' on their own dict, as MMRazor's
# configs do.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmkd_plus'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=10, max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # stop (before anything is logged or saved) when a loss is NaN/Inf
    check_finite=dict(type='mmrazor.CheckFiniteLossHook'),
    # the random generators of every process in the checkpoint: a resumed
    # run repeats the draws of the uninterrupted one
    rng_state=dict(type='mmrazor.RNGStateHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # mmkd_plus.compat switches to gloo when no GPU is visible
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
