# AT recipe of the MFD tables (attention transfer, Zagoruyko & Komodakis
# 2017, as the MFD code's kd_at): CE + (lambda/2) * AT on one map, the last
# convolutional map of the network (CIFARNet: conv6, 128x8x8; ResNet-18:
# layer4; ShuffleNetV2: conv5). loss_weight = lambda/2 = 0.5 here (lambda 1);
# leaves set Table 1's lambda/2. The leaf states the map's recorders
# (`feat`).
_base_ = ['../_base_/distill.py']
model = dict(
    distiller=dict(
        distill_losses=dict(loss_at=dict(type='ATLoss', loss_weight=0.5)),
        loss_forward_mappings=dict(
            loss_at=dict(
                s_feature=dict(from_student=True, recorder='feat'),
                t_feature=dict(from_student=False, recorder='feat')))))
