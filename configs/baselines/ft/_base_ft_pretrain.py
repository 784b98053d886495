# FT recipe, paraphraser pre-training (Kim et al., 2018; CRD benchmark): the
# teacher's paraphraser (k = 0.5) learns to reconstruct the teacher's last
# conv map (plain MSE); the student is frozen. The leaf states the `last`
# recorders and the channel counts.
_base_ = ['../../_base_/distill.py']
model = dict(
    calculate_student_loss=False,
    student_trainable=False,
    distiller=dict(
        connectors=dict(
            ft_s=dict(type='Translator'),
            ft_t=dict(type='Paraphraser', phase='pretrain')),
        distill_losses=dict(
            loss_ft_pretrain=dict(
                type='L2Loss',
                normalize=False,
                div_element=True,
                loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_ft_pretrain=dict(
                s_feature=dict(from_student=False, recorder='last'),
                t_feature=dict(
                    from_student=False, recorder='last', connector='ft_t')))))
