# CIFARNet -> CIFARNet on CIFAR-10S: MFD distils between two networks
# of the same architecture; the teacher is the scratch (CE) model of the same
# recipe. The layers each method family distils (see README.md here).
from mmengine import Config as __Config

__net = __Config.fromfile('{{ fileDirname }}/../models/cifarnet.py').model
pair = dict(
    architecture=dict(_scope_='mmpretrain', **__net),
    teacher=dict(_scope_='mmpretrain', **__net),
    teacher_ckpt='work_dirs/scratch_cifarnet_1xb128_cifar10s/epoch_50.pth')

# ConfigurableDistiller fragments, merged into a method recipe's distiller:
# the penultimate features (fc 256 after ReLU) for MFD, FitNet and AT/NST
penultimate = dict(
    student_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.fc')),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.fc')))
# the last convolution's map (conv6 after ReLU, 128x8x8) for AT and NST: the
# map the MFD code's AT uses on this CNN (its NST takes the 256-d vector, on
# which channel normalisation leaves 0/1 and no gradient; see the MFD README)
conv6 = dict(
    student_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.features.15')),
    teacher_recorders=dict(
        feat=dict(type='ModuleOutputs', source='backbone.features.15')))
# channels of the recorded outputs, (student, teacher)
channels = dict(feat=(256, 256), conv6=(128, 128))
