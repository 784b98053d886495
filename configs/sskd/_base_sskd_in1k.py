# SSKD stage 2 on ImageNet-1k: _base_sskd.py with the ImageNet weights of the
# ECCV supplement (Sec. 4.2: the temperatures and loss weights of its
# CIFAR-100 runs, lambda = 0.1, 0.9, 3.0, 5.0, "except that lambda_1 is set
# to 1.0"): ce 1.0, kd 0.9, tf 3.0, ss 5.0, lambda_3 read as tf and lambda_4
# as ss (the order of the authors' --tf-weight and --ss-weight). The authors
# released no ImageNet code; the views are _base_sskd_views_in1k.py's.
_base_ = ['./_base_sskd.py', './_base_sskd_views_in1k.py']
model = dict(
    architecture=dict(head=dict(loss=dict(loss_weight=1.0))),  # ce
    distiller=dict(
        distill_losses=dict(
            loss_tf=dict(loss_weight=3.0), loss_ss=dict(loss_weight=5.0))))
