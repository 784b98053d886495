# AB with WRN-40-2 -> WRN-16-2 on CIFAR-100: what both stages share (the
# networks, the teacher's checkpoint, the recorders), on the first-stage
# recipe. The stage leaves add their settings.
_base_ = ['./_base_ab_init.py']
model = dict(
    architecture=dict(
        cfg_path='mmkd_plus::teachers/wrn_16_2_1xb64_cifar100.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/wrn_40_2_1xb64_cifar100.py'),
    teacher_ckpt='work_dirs/wrn_40_2_1xb64_cifar100/epoch_240.pth',
    distiller=dict(
        student_recorders=dict(
            p1=dict(type='ModuleOutputs', source='backbone.block2.0.bn1'),
            p2=dict(type='ModuleOutputs', source='backbone.block3.0.bn1'),
            p3=dict(type='ModuleOutputs', source='backbone.bn_final')),
        teacher_recorders=dict(
            p1=dict(type='ModuleOutputs', source='backbone.block2.0.bn1'),
            p2=dict(type='ModuleOutputs', source='backbone.block3.0.bn1'),
            p3=dict(type='ModuleOutputs', source='backbone.bn_final')),
        loss_forward_mappings=dict(
            loss_ab_1=dict(
                s_feature=dict(data_idx=None), t_feature=dict(data_idx=None)),
            loss_ab_2=dict(
                s_feature=dict(data_idx=None), t_feature=dict(data_idx=None)),
            loss_ab_3=dict(
                s_feature=dict(data_idx=None),
                t_feature=dict(data_idx=None)))))
