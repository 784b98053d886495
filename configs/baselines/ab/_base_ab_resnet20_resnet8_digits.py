# AB with resnet20 -> resnet8 on the digits: what both stages share (the
# networks, the teacher's checkpoint, the recorders), on the first-stage
# recipe. The stage leaves add their settings.
_base_ = ['./_base_ab_init.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    distiller=dict(
        student_recorders=dict(
            p1=dict(type='ModuleInputs', source='backbone.layer1.0.act_out'),
            p2=dict(type='ModuleInputs', source='backbone.layer2.0.act_out'),
            p3=dict(type='ModuleInputs', source='backbone.layer3.0.act_out')),
        teacher_recorders=dict(
            p1=dict(type='ModuleInputs', source='backbone.layer1.2.act_out'),
            p2=dict(type='ModuleInputs', source='backbone.layer2.2.act_out'),
            p3=dict(type='ModuleInputs', source='backbone.layer3.2.act_out')),
        loss_forward_mappings=dict(
            loss_ab_1=dict(
                s_feature=dict(data_idx=0), t_feature=dict(data_idx=0)),
            loss_ab_2=dict(
                s_feature=dict(data_idx=0), t_feature=dict(data_idx=0)),
            loss_ab_3=dict(
                s_feature=dict(data_idx=0), t_feature=dict(data_idx=0)))))
