# resnet18 -> resnet18 on utkface: MFD distils between two networks of the same
# architecture; the teacher is the scratch (CE) model of the same recipe.
from mmengine import Config as __Config

__net = __Config.fromfile('{{ fileDirname }}/../models/resnet18_utkface.py').model
pair = dict(
    architecture=dict(_scope_='mmpretrain', **__net),
    teacher=dict(_scope_='mmpretrain', **__net),
    teacher_ckpt='work_dirs/scratch_resnet18_1xb128_utkface/epoch_50.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller:
# the penultimate features (the 512 x 6 x 6 layer4 map) for MFD
penultimate = dict(
    student_recorders=dict(feat=dict(type='ModuleOutputs', source='backbone.layer4')),
    teacher_recorders=dict(feat=dict(type='ModuleOutputs', source='backbone.layer4')))
