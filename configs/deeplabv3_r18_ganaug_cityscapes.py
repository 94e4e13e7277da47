# GAN augmentation (seed 000, docs/ganaug.md): mmseg's DeepLabV3-R18 Cityscapes
# baseline trained on Cityscapes train mixed with the pix2pixHD-synthesized
# rare-class set in data/cityscapes_ganaug/ (tools/extract_classes.py,
# tools/compose_labels.py, tools/synthesize.py). Only the training data differs.
_base_ = './deeplabv3_r18_cityscapes.py'
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='GANAugmentedDataset',
    dataset=_base_.train_dataloader.dataset,
    synthetic_root='data/cityscapes_ganaug/',
    mode='ratio',
    synthetic_ratio=0.25,
    seed=0))
