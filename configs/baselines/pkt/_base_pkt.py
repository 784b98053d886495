# PKT recipe (Passalis & Tefas, 2018; CRD benchmark): CE + 30000 x PKT on
# the pooled penultimate vector (the neck's output).
_base_ = ['../../_base_/distill.py']
model = dict(
    distiller=dict(
        student_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='neck')),
        distill_losses=dict(
            loss_pkt=dict(type='PKTLoss', loss_weight=30000.0)),
        loss_forward_mappings=dict(
            loss_pkt=dict(
                s_feature=dict(from_student=True, recorder='feat', data_idx=0),
                t_feature=dict(
                    from_student=False, recorder='feat', data_idx=0)))))
