# QuEST on the bundled digits: K = 128; k-means clusters a seeded sample of
# 256 vectors per word (fast on a CPU).
_base_ = ['./_base_quest.py', '../_base_/settings/digits_bs64_30e.py']
model = dict(
    distiller=dict(
        connectors=dict(quest_head=dict(num_words=128)),
        distill_losses=dict(loss_quest=dict(num_words=128))))
custom_hooks = [dict(_base_.custom_hooks[0], max_points_per_centroid=256)]
