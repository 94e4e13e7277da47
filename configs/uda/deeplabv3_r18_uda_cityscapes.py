# UDA (Xie et al., "Unsupervised Data Augmentation for Consistency Training")
# with DeepLabV3 R-18 on Cityscapes at a 1/8 labeled split: the supervised
# reference ./deeplabv3_r18_1-8sup_cityscapes.py plus the unlabeled 7/8 and the
# consistency objective (UDA's defaults: temperature 0.4, confidence 0.8, lambda 1).
_base_ = './deeplabv3_r18_1-8sup_cityscapes.py'
model = {{_base_.uda_model}}
train_cfg = {{_base_.uda_train_cfg}}
