# NST recipe of the MFD tables (neuron selectivity transfer, Huang & Wang
# 2017, as the MFD code's kd_nst): CE + lambda * MMD^2 (polynomial kernel) of
# the channel-normalised maps, on the last convolutional map (CIFARNet:
# conv6, 128x8x8; ResNet-18: layer4). loss_weight = lambda = 30 here
# (CIFAR-10S); leaves set Table 1's lambda. The leaf states the map's
# recorders (`feat`).
_base_ = ['../_base_/distill.py']
model = dict(
    distiller=dict(
        distill_losses=dict(loss_nst=dict(type='NSTLoss', loss_weight=30.0)),
        loss_forward_mappings=dict(
            loss_nst=dict(
                s_feature=dict(from_student=True, recorder='feat'),
                t_feature=dict(from_student=False, recorder='feat')))))
