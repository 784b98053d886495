# FSP recipe, initialisation stage (Yim et al., 2017; CRD benchmark): the
# student's FSP matrices of consecutive stages (stem, stage 1, 2, 3) learn
# the teacher's, with no CE. The pair base (_base_fsp_<pair>.py) states the
# recorders s0 (the stem) to s3; the stage leaves add the settings.
_base_ = ['../../_base_/distill.py']
model = dict(
    calculate_student_loss=False,
    distiller=dict(
        distill_losses={
            f'loss_fsp_{i}{i + 1}': dict(type='FSPLoss', loss_weight=1.0)
            for i in (0, 1, 2)
        },
        loss_forward_mappings={
            f'loss_fsp_{i}{i + 1}':
            dict(
                s_feature_a=dict(from_student=True, recorder=f's{i}'),
                s_feature_b=dict(from_student=True, recorder=f's{i + 1}'),
                t_feature_a=dict(from_student=False, recorder=f's{i}'),
                t_feature_b=dict(from_student=False, recorder=f's{i + 1}'))
            for i in (0, 1, 2)
        }))
