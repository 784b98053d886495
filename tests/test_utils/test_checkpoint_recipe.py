# Copyright (c) OpenMMLab. All rights reserved.
"""checkpoint_recipe: the command that makes a missing teacher checkpoint,
per kind of network config."""
from mmkd_plus.utils import checkpoint_recipe


def test_a_config_of_ours_names_its_training_command():
    assert checkpoint_recipe(
        'mmkd_plus::teachers/resnet20_1xb64_digits.py',
        'work_dirs/resnet20_1xb64_digits/epoch_30.pth') == (
            'Train it first: `python tools/train.py '
            'configs/teachers/resnet20_1xb64_digits.py`')
    # elsewhere: where the training writes its checkpoints
    assert checkpoint_recipe(
        'mmkd_plus::teachers/resnet20_1xb64_digits.py',
        '/ckpts/r20.pth').endswith(
            '(it writes its checkpoints to work_dirs/resnet20_1xb64_digits/)')


def test_an_imagenet_resnet_names_the_torchvision_conversion():
    msg = checkpoint_recipe('mmkd_plus::_base_/models/resnet50_in1k.py',
                            'checkpoints/r50.pth')
    assert ('torchvision_resnet_to_mmpretrain.py resnet50-0676ba61.pth '
            'checkpoints/r50.pth') in msg
    assert 'resnet/resnet50_8xb32_in1k.py' in msg
    msg = checkpoint_recipe('mmpretrain::resnet/resnet18_8xb32_in1k.py',
                            'r18.pth')
    assert 'resnet18-f37072fd.pth r18.pth' in msg


def test_other_networks():
    assert checkpoint_recipe(
        'mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py',
        'm.pth') == ("Put mmpretrain's checkpoint of "
                     'mobilenet_v2/mobilenet-v2_8xb32_in1k.py there (its '
                     'model zoo lists it)')
    assert 'mmkd_plus::_base_/models/mobilenetv1_in1k.py' in \
        checkpoint_recipe('mmkd_plus::_base_/models/mobilenetv1_in1k.py',
                          'm.pth')
    # a network written out in the config
    assert checkpoint_recipe(None, 't.pth').startswith(
        'Train the teacher first')
