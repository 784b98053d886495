# SSKD stage 2 (Xu et al., ECCV 2020, https://arxiv.org/abs/2006.07114): the
# student with L = ce CE + kd L_kd + tf L_tf + ss L_ss. Each weight is the
# loss_weight of its own term, and nothing else sets it:
#   ce: model.architecture.head.loss.loss_weight (the student head's CE)
#   kd: model.distiller.distill_losses.loss_kd.loss_weight
#   tf: model.distiller.distill_losses.loss_tf.loss_weight
#   ss: model.distiller.distill_losses.loss_ss.loss_weight
# Default weights: the authors' code (ce 0.1, kd 0.9, tf 2.7, ss 10.0, the
# defaults of student.py's --ce/kd/tf/ss-weight); the ECCV supplement's set
# (0.1, 0.9, 3.0, 5.0) is in sskd_eccv_weights_*.py, ImageNet's in
# _base_sskd_in1k.py. Temperatures 4 (kd, tf) and 0.5 (ss); selective
# transfer keeps all of the teacher's wrong transformed samples for L_tf
# (ratio 1.0) and the least wrong 75% for L_ss. Self-supervised task:
# contrastive (the similarity matrix of SSKDHead outputs between transformed
# and normal views). Every view goes through both networks (SSKDDistill);
# the teacher's head comes from stage 1 (model.teacher_ss_ckpt, set by the
# leaf). The leaf sets the heads' widths, the networks' pooled features'.
model = dict(
    _scope_='mmrazor',
    type='SSKDDistill',
    architecture=dict(head=dict(loss=dict(loss_weight=0.1))),  # ce
    teacher_ss_head='ss_t',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc'),
            feat=dict(type='ModuleOutputs', source='neck'),
            data_samples=dict(
                type='MethodInputs',
                source='mmpretrain.models.classifiers.ImageClassifier.forward')
        ),
        teacher_recorders=dict(
            fc=dict(type='ModuleOutputs', source='head.fc'),
            feat=dict(type='ModuleOutputs', source='neck')),
        connectors=dict(
            ss_s=dict(type='SSKDHead'), ss_t=dict(type='SSKDHead')),
        distill_losses=dict(
            loss_kd=dict(
                type='SSKDKLLoss', tau=4.0, views='normal', loss_weight=0.9),
            loss_tf=dict(
                type='SSKDKLLoss',
                tau=4.0,
                views='transformed',
                select_ratio=1.0,
                target='label',
                loss_weight=2.7),
            loss_ss=dict(
                type='SSKDContrastiveLoss',
                tau=0.5,
                select_ratio=0.75,
                loss_weight=10.0)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc'),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1)),
            loss_tf=dict(
                preds_S=dict(from_student=True, recorder='fc'),
                preds_T=dict(from_student=False, recorder='fc'),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1)),
            loss_ss=dict(
                preds_S=dict(
                    from_student=True,
                    recorder='feat',
                    data_idx=0,
                    connector='ss_s'),
                preds_T=dict(
                    from_student=False,
                    recorder='feat',
                    data_idx=0,
                    connector='ss_t'),
                data_samples=dict(
                    from_student=True, recorder='data_samples', data_idx=1)))))
