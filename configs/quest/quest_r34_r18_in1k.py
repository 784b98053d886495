# QuEST on ImageNet-1k, ResNet34 -> ResNet18: the short name of
# quest_layer4_resnet34_resnet18_8xb32_in1k.py (layer4, K = 4096, tau = 0.2,
# batch 256 as 8 x 32, 100 epochs, LR 0.1 x0.1 every 30 epochs), so that
#   python tools/train.py configs/quest/quest_r34_r18_in1k.py
#   bash tools/dist_train.sh configs/quest/quest_r34_r18_in1k.py 8
# run the paper's ImageNet recipe.
_base_ = ['./quest_layer4_resnet34_resnet18_8xb32_in1k.py']
