# FT (Kim et al., NeurIPS 2018), stage 1 of 2: on the bundled digits:
# resnet20 -> resnet8, with the CRD benchmark's weights: pre-train the
# paraphraser on the teacher's last stage map (RepDistiller's feat[-2]) by
# MSE reconstruction. Stage 2 is
# ft_stage3_resnet20_resnet8_1xb64_digits_train.py, which starts from this
# stage's last checkpoint (load_from).
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = [
    '../../_base_/pairs/resnet20_resnet8_digits.py',
    '../../_base_/datasets/digits_bs64.py',
    '../../_base_/schedules/digits_bs64_30e.py',
    '../../_base_/default_runtime.py'
]

stages = _base_.layers.stages

# only the paraphraser trains: no CE, the student is frozen
model = dict(
    calculate_student_loss=False,
    student_trainable=False,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            last=dict(
                type='ModuleOutputs', source=stages.student[-1])),
        teacher_recorders=dict(
            last=dict(
                type='ModuleOutputs', source=stages.teacher[-1])),
        connectors=dict(
            # the student's translator (3 conv + BN), used in the main stage
            ft_s=dict(
                type='Translator',
                in_channel=64,
                out_channel=32),
            # the teacher's paraphraser, k = 0.5: 3 conv + 3 deconv, no BN
            ft_t=dict(
                type='Paraphraser',
                phase='pretrain',
                in_channel=64,
                out_channel=32)),
        distill_losses=dict(
            # the reconstruction's plain MSE (mean over elements)
            loss_ft_pretrain=dict(
                type='L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_ft_pretrain=dict(
                # both sides come from the teacher: its map and the
                # paraphraser's reconstruction of it
                s_feature=dict(from_student=False, recorder='last'),
                t_feature=dict(
                    from_student=False,
                    recorder='last',
                    connector='ft_t')))))

# Paraphraser pre-training: 5 epochs at a constant LR 0.01
# (RepDistiller's init(): SGD, no schedule)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = dict(
    _delete_=True, type='ConstantLR', factor=1.0, by_epoch=True)
train_cfg = dict(max_epochs=5)

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
