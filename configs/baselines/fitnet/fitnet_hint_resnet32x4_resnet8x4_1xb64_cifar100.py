# FitNet (Romero et al., ICLR 2015) on CIFAR-100, resnet32x4 -> resnet8x4,
# with the CRD benchmark's recipe (RepDistiller): 1 x CE + 100 x MSE between
# the regressed student hint and the teacher hint (the second stage output,
# RepDistiller's hint_layer=2), trained jointly from the first epoch
# (RepDistiller has no separate hint stage). 240 epochs, batch 64, SGD LR
# 0.05 x0.1 at 150/180/210.
_base_ = [
    '../../_base_/pairs/resnet32x4_resnet8x4_cifar100.py',
    '../../_base_/datasets/cifar100_bs64.py',
    '../../_base_/schedules/cifar100_bs64_240e.py',
    '../../_base_/default_runtime.py'
]

hint = _base_.layers.hint

model = dict(
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            hint=dict(type='ModuleOutputs', source=hint.student)),
        teacher_recorders=dict(
            hint=dict(type='ModuleOutputs', source=hint.teacher)),
        connectors=dict(
            # RepDistiller's ConvReg for equal spatial sizes: 1x1 conv,
            # BN, ReLU
            hint_s=dict(
                type='ConvModuleConnector',
                in_channel=128,
                out_channel=128,
                kernel_size=1,
                norm_cfg=dict(type='BN'),
                act_cfg=dict(type='ReLU'))),
        distill_losses=dict(
            # normalize=False, div_element=True: the plain MSE (mean
            # over all elements), RepDistiller's HintLoss
            loss_hint=dict(
                type='L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=100.0)),
        loss_forward_mappings=dict(
            loss_hint=dict(
                s_feature=dict(
                    from_student=True,
                    recorder='hint',
                    connector='hint_s'),
                t_feature=dict(from_student=False, recorder='hint')))))

# evaluate the student and the teacher
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
