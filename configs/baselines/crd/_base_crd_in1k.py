# CRD on ImageNet: a queue of the 16384 most recent embeddings instead of the
# two full banks (1.28M x 128 floats each), so the data needs no contrast
# indices.
_base_ = ['./_base_crd.py', '../../_base_/settings/imagenet_bs32_100e.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_crd=dict(num_data=1281167, memory='queue',
                          queue_size=16384))))
