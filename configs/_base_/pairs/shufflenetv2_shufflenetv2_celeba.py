# shufflenetv2 -> shufflenetv2 on celeba: MFD distils between two networks of the same
# architecture; the teacher is the scratch (CE) model of the same recipe.
from mmengine import Config as __Config

__net = __Config.fromfile('{{ fileDirname }}/../models/shufflenetv2_celeba.py').model
pair = dict(
    architecture=dict(_scope_='mmpretrain', **__net),
    teacher=dict(_scope_='mmpretrain', **__net),
    teacher_ckpt='work_dirs/scratch_shufflenetv2_1xb128_celeba/epoch_50.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller:
# the penultimate features (the 1024 x 6 x 6 conv5 map) for MFD
penultimate = dict(
    student_recorders=dict(feat=dict(type='ModuleOutputs', source='backbone.layers.3')),
    teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='backbone.layers.3')))
