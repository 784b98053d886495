# SSKD with the ECCV supplement's weights (ce 0.1, kd 0.9, tf 3.0, ss 5.0;
# Sec. 4.2) instead of the authors' code's (0.1, 0.9, 2.7, 10.0).
_base_ = ['./sskd_resnet32x4_resnet8x4_1xb64_cifar100.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_tf=dict(loss_weight=3.0), loss_ss=dict(loss_weight=5.0))))
