# FT (Kim et al., NeurIPS 2018), stage 2 of 2: on the bundled digits:
# resnet20 -> resnet8, with the CRD benchmark's weights: 1 x CE + 200 x FT
# between the student's translated factor and the frozen paraphraser's factor
# of the teacher's last stage map (RepDistiller's feat[-2]), MMRazor's FTLoss
# (L1 of the L2-normalised flattened factors: the paper form; RepDistiller
# uses the normalised channel mean of the squared factor). Run
# ft_stage3_resnet20_resnet8_1xb64_digits_pretrain.py first.
# The teacher checkpoint comes from configs/teachers/resnet20_1xb64_digits.py
# (make demo trains it); override with --cfg-options model.teacher_ckpt=PATH.
_base_ = ['./ft_stage3_resnet20_resnet8_1xb64_digits_pretrain.py']

# the paraphraser pre-trained by stage 1 (and the rest of that model)
load_from = (
    'work_dirs/ft_stage3_resnet20_resnet8_1xb64_digits_pretrain/'
    'epoch_5.pth')

model = dict(
    calculate_student_loss=True,
    student_trainable=True,
    distiller=dict(
        connectors=dict(ft_t=dict(phase='train')),
        distill_losses=dict(
            _delete_=True,
            loss_ft=dict(type='FactorTransferLoss', loss_weight=200.0)),
        loss_forward_mappings=dict(
            _delete_=True,
            loss_ft=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='last',
                    connector='ft_s'),
                t_feature=dict(
                    from_student=False,
                    recorder='last',
                    connector='ft_t')))))

# the main stage: the digits schedule again (30 epochs, LR 0.05, cosine)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    by_epoch=True,
    T_max=30)
train_cfg = dict(max_epochs=30)
