# CIFARNet at half width (conv 16-16-32-32-64-64, fc 1024 -> 128): the MFD
# CNN made CPU-sized for the bundled digits; 10 classes.
_base_ = ['./cifarnet.py']
model = dict(
    backbone=dict(widths=(16, 32, 64), hidden=128), head=dict(in_channels=128))
