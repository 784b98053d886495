# Copyright (c) OpenMMLab. All rights reserved.
"""compat.apply: every fix acts on this torch (the import-time ones on
torch 2 only) and a second apply changes nothing.

On torch <= 1.13 (``make test-legacy``: MMRazor's own stack) the same tests
check that each fix is harmless there: it does not act, or it acts and
gives what upstream gives on that torch.
"""


from mmkd_plus import compat

TORCH2_ONLY = ('stub_mmrazor_quantization',
               'allow_mmengine_checkpoint_globals')


def test_fixes_applied_for_this_torch():
    acted = compat.applied_fixes()
    for name in ('fix_cpu_distributed_init', 'fix_cpu_ddp_device_ids',
                 'fix_set_module_inplace_false',
                 'fix_kd_soft_ce_loss', 'fix_crd_dataset_ragged_classes',
                 'fix_pack_crd_cls_inputs', 'fix_random_crop_padding_mode',
                 *TORCH2_ONLY):
        # torch <= 1.13: the import-time fixes must not act
        assert (name in acted) == (compat.TORCH2
                                   or name not in TORCH2_ONLY), name
    # idempotent: a second apply changes nothing and reports the same
    assert compat.apply() == acted
