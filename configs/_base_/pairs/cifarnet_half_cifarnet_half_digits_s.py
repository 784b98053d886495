# Half-width CIFARNet -> the same on DigitsS (the digits analogue of
# CIFAR-10S): MFD distils between two networks of the same architecture; the
# teacher is the scratch (CE) model of the same recipe. The layers each method
# family distils (see README.md here).
from mmengine import Config as __Config

__net = __Config.fromfile('{{ fileDirname }}/../models/cifarnet_half.py').model
pair = dict(
    architecture=dict(_scope_='mmpretrain', **__net),
    teacher=dict(_scope_='mmpretrain', **__net),
    teacher_ckpt=(
        'work_dirs/scratch_cifarnet_half_1xb128_digits_s/epoch_20.pth'))

# ConfigurableDistiller fragments, merged into a method recipe's distiller:
# the penultimate features (fc 128 after ReLU) for MFD and FitNet
penultimate = dict(
    student_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.fc')),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.fc')))
# the last convolution's map (conv6 after ReLU, 64x8x8 at half width) for AT
# and NST, as the CIFAR-10S pair's conv6 (see the MFD README)
conv6 = dict(
    student_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.features.15')),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.features.15')))
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(128, 128), conv6=(64, 64))
