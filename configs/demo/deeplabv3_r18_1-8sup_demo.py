# Supervised-only baseline for UDA on the demo data: the demo DeepLabV3-R18
# trained on the 1/8 labeled split alone (`make demo` compares it with
# deeplabv3_r18_uda_demo.py). Split files: tools/make_splits.py.
_base_ = './deeplabv3_r18_demo.py'
train_dataloader = dict(dataset=dict(ann_file='splits/1-8_seed0_labeled.txt'))
