# FT (Kim et al., NeurIPS 2018), stage 2 of 2: on CIFAR-100, resnet32x4 ->
# resnet8x4, with the CRD benchmark's recipe (RepDistiller): 1 x CE + 200 x
# FT between the student's translated factor and the frozen paraphraser's
# factor of the teacher's last stage map (RepDistiller's feat[-2]), mmkd_plus's
# FactorTransferLoss: L1 between the L2-normalised channel means of the
# squared factors (RepDistiller's form; MMRazor's FTLoss is the paper's). Run
# ft_stage3_resnet32x4_resnet8x4_1xb64_cifar100_pretrain.py first. 240
# epochs, batch 64, SGD LR 0.05 x0.1 at 150/180/210.
_base_ = ['./ft_stage3_resnet32x4_resnet8x4_1xb64_cifar100_pretrain.py']

# the paraphraser pre-trained by stage 1 (and the rest of that model)
load_from = (
    'work_dirs/ft_stage3_resnet32x4_resnet8x4_1xb64_cifar100_pretrain/'
    'epoch_30.pth')

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

# the main stage: the benchmark's 240 epochs, LR 0.05 x0.1 at 150/180/210
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(
    _delete_=True,
    type='MultiStepLR',
    by_epoch=True,
    milestones=[150, 180, 210],
    gamma=0.1)
train_cfg = dict(max_epochs=240)
