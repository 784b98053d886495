_base_ = ['./_base_quest_digits.py']
model = dict(
    architecture=dict(cfg_path='mmkd_plus::teachers/resnet8_1xb64_digits.py'),
    teacher=dict(cfg_path='mmkd_plus::teachers/resnet20_1xb64_digits.py'),
    teacher_ckpt='work_dirs/resnet20_1xb64_digits/epoch_30.pth',
    distiller=dict(
        student_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer3')),
        teacher_recorders=dict(
            quest=dict(type='ModuleOutputs', source='backbone.layer3')),
        connectors=dict(quest_head=dict(in_channels=64)),
        distill_losses=dict(loss_quest=dict(feat_channels=64, downscale=1))))
