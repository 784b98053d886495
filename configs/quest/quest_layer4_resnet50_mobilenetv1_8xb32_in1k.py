_base_ = ['./_base_quest_in1k.py', '../_base_/pairs/resnet50_mobilenetv1_in1k.py']
model = dict(**_base_.pair, distiller=_base_.quest)
