# UDA data on the demo set: the 1/8 labeled split and the unlabeled rest
# (`python tools/make_splits.py configs/baseline/deeplabv3_r18_demo.py --fractions 1/8`).
# The Cityscapes UDA data base with the demo root and the demo image sizes.
_base_ = './uda_cityscapes_1-8.py'
unlabeled_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(128, 128), cat_max_ratio=1.0),  # as the demo baseline
    dict(type='RandomFlip', prob=0.5),
    _base_.strong_view,  # UDA's RandAugment, blur and cutout, as on Cityscapes
    dict(type='PackUDAInputs'),
]
unlabeled_dataloader = dict(dataset=dict(dataset=dict(data_root='data/demo_cityscapes/'),
                                         pipeline=unlabeled_pipeline))
