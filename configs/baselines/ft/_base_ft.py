# FT recipe, main stage: CE + 200 x the benchmark's factor-transfer loss
# between the student's translated factor and the pre-trained paraphraser's.
_base_ = ['./_base_ft_pretrain.py']
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
                    from_student=True, recorder='last', connector='ft_s'),
                t_feature=dict(
                    from_student=False, recorder='last', connector='ft_t')))))
