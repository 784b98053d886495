_base_ = ['./_base_quest_cifar100.py', '../_base_/pairs/vgg13_vgg8_cifar100.py']
# the authors weigh the QuEST loss 2.0 for this pair alone
_base_.quest.distill_losses.loss_quest.loss_weight = 2.0
model = dict(**_base_.pair, distiller=_base_.quest)
