# GAN augmentation on the demo data: the demo baseline with the same dataset
# wrapper as ./deeplabv3_r18_ganaug_cityscapes.py, reading the set synthesized
# by ./pix2pixhd_demo.py into data/demo_cityscapes_ganaug/ (docs/ganaug.md).
_base_ = ['../baseline/deeplabv3_r18_demo.py', '../_base_/ganaug.py']
train_dataloader = dict(dataset=dict(
    _delete_=True, dataset=_base_.train_dataloader.dataset,
    synthetic_root='data/demo_cityscapes_ganaug/', **_base_.ganaug_dataset))
