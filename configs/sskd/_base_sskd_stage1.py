# SSKD stage 1: the teacher's self-supervised head (SSKDHead, Linear-ReLU-
# Linear on the pooled feature) trained with the teacher frozen (no
# gradients, eval-mode BN), by cross-entropy over the rows of the similarity
# matrix (raw cosines, as the authors' code). The leaf sets the teacher, its
# checkpoint and the head's width; the data recipe the schedule (the
# authors': SGD LR 0.05, momentum 0.9, wd 5e-4, 60 epochs, x0.1 at 30/45).
model = dict(
    _scope_='mmrazor',
    type='SSKDTeacherStage',
    ss_head=dict(type='SSKDHead'),
    ss_loss=dict(type='SSKDHeadLoss', task='contrastive'))
