# UDA (seed 004) with DeepLabV3 R-50 on Cityscapes at a 1/8 labeled split:
# the stock baseline config plus the unlabeled 7/8 and the consistency
# objective (UDA's defaults: temperature 0.4, confidence 0.8, lambda 1).
# Split files first: python tools/make_splits.py configs/deeplabv3_r50_cityscapes.py
_base_ = ['./deeplabv3_r50_cityscapes.py', './_base_/uda/cityscapes_1-8.py']
model = {{_base_.uda_model}}
train_dataloader = dict(dataset=dict(ann_file={{_base_.labeled_split}}))
train_cfg = {{_base_.uda_train_cfg}}
