# VID recipe (Ahn et al., 2019; CRD benchmark): CE + 1 x VID per stage
# output; the leaf states the stage recorders and the channel counts.
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        connectors=dict(
            vid_s1=dict(type='VIDRegressorConnector'),
            vid_s2=dict(type='VIDRegressorConnector'),
            vid_s3=dict(type='VIDRegressorConnector')),
        distill_losses=dict(
            loss_vid_1=dict(type='VIDLoss', loss_weight=1.0),
            loss_vid_2=dict(type='VIDLoss', loss_weight=1.0),
            loss_vid_3=dict(type='VIDLoss', loss_weight=1.0)),
        loss_forward_mappings={
            f'loss_vid_{i}':
            dict(
                s_feature=dict(
                    from_student=True, recorder=f's{i}',
                    connector=f'vid_s{i}'),
                t_feature=dict(from_student=False, recorder=f's{i}'))
            for i in (1, 2, 3)
        }))
