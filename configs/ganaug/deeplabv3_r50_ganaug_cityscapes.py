# GAN augmentation on mmseg's DeepLabV3 R-50 Cityscapes config, trained on
# Cityscapes train mixed with the pix2pixHD-synthesized rare-class set in
# data/cityscapes_ganaug/ (../_base_/ganaug.py). Only the training data differs.
_base_ = ['../baseline/deeplabv3_r50_cityscapes.py', '../_base_/ganaug.py']
train_dataloader = dict(dataset=dict(
    _delete_=True, dataset=_base_.train_dataloader.dataset,
    synthetic_root='data/cityscapes_ganaug/', **_base_.ganaug_dataset))
