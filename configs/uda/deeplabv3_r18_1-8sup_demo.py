# The supervised reference of ./deeplabv3_r18_uda_demo.py: the demo DeepLabV3-R18
# trained on the 1/8 labeled split alone, as ./deeplabv3_r18_1-8sup_cityscapes.py
# on the demo data. Split files: tools/make_splits.py.
_base_ = ['../baseline/deeplabv3_r18_demo.py', '../_base_/uda_demo_cityscapes_1-8.py']
train_dataloader = dict(dataset=dict(ann_file={{_base_.labeled_split}}))
