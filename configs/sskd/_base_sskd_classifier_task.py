# SSKD stage 2 with a classification self-supervised task, the supplement's
# ablation (rotation 4-way, jigsaw 24-way, exemplar one class per image): the
# heads are classifiers (SSKDHead out_channels = the classes, set by the
# leaf) and L_ss transfers their logits over every view, with selective
# transfer on the teacher's rank of each view's label. Temperature 4 is ours
# (the supplement gives none). L_ss keeps _base_sskd.py's select_ratio
# (0.75) and its loss_weight (the ss weight); the task's views are the
# leaf's (_base_sskd_<task>_views_<data>.py).
_base_ = ['./_base_sskd.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_ss=dict(
                type='SSKDKLLoss', tau=4.0, views='all',
                target='view_label'))))
