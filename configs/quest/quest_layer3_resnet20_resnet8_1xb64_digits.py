_base_ = ['./_base_quest_digits.py', '../_base_/pairs/resnet20_resnet8_digits.py']
model = dict(**_base_.pair, distiller=_base_.quest)
