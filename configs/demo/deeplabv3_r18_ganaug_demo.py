# GAN augmentation on the demo data: the demo baseline (deeplabv3_r18_demo.py)
# trained on the real demo train split mixed with the pix2pixHD-synthesized set
# (docs/ganaug.md: train configs/gan/pix2pixhd_demo.py, then extract, compose,
# synthesize into data/demo_cityscapes_ganaug/). Only the training data differs.
_base_ = './deeplabv3_r18_demo.py'
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='GANAugmentedDataset',
    dataset=_base_.train_dataloader.dataset,
    synthetic_root='data/demo_cityscapes_ganaug/',
    mode='ratio',
    synthetic_ratio=0.25,
    seed=0))
