# QuEST on the bundled digits: K = 128; k-means clusters a seeded sample of
# 256 vectors per word (fast on a CPU). The loss weight 8 was chosen on the
# validation split (the last 287 training images, 3 seeds; weights 0.5 to
# 32 on layer2 and layer3, table in docs/demo.md).
_base_ = ['./_base_quest.py', '../_base_/settings/digits_bs64_30e.py']
model = dict(
    distiller=dict(
        connectors=dict(quest_head=dict(num_words=128)),
        distill_losses=dict(loss_quest=dict(num_words=128, loss_weight=8.0))))
custom_hooks = [dict(_base_.custom_hooks[0], max_points_per_centroid=256)]
