# The supervised reference of ./deeplabv3_r50_uda_cityscapes.py: mmseg's
# DeepLabV3 R-50 Cityscapes config trained on the same 1/8 labeled split alone.
# Split files first: python tools/make_splits.py configs/baseline/deeplabv3_r50_cityscapes.py
_base_ = ['../baseline/deeplabv3_r50_cityscapes.py', '../_base_/uda_cityscapes_1-8.py']
train_dataloader = dict(dataset=dict(ann_file={{_base_.labeled_split}}))
