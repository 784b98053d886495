# NST recipe (Huang & Wang, 2017; CRD benchmark): CE + 50 x NST.
# One loss per stage output; the leaf states the stage recorders s1-s3.
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_nst_1=dict(type='NSTLoss', loss_weight=50.0),
            loss_nst_2=dict(type='NSTLoss', loss_weight=50.0),
            loss_nst_3=dict(type='NSTLoss', loss_weight=50.0)),
        loss_forward_mappings=dict(
            loss_nst_1=dict(
                s_feature=dict(from_student=True, recorder='s1'),
                t_feature=dict(from_student=False, recorder='s1')),
            loss_nst_2=dict(
                s_feature=dict(from_student=True, recorder='s2'),
                t_feature=dict(from_student=False, recorder='s2')),
            loss_nst_3=dict(
                s_feature=dict(from_student=True, recorder='s3'),
                t_feature=dict(from_student=False, recorder='s3')))))
