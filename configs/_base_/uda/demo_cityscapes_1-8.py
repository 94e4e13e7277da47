# UDA data on the demo set: the 1/8 labeled split and the unlabeled rest
# (`python tools/make_splits.py configs/demo/deeplabv3_r18_demo.py --fractions 1/8`).
# Only new keys (bases must not share keys); the UDA demo configs wire them in.
labeled_split = 'splits/1-8_seed0_labeled.txt'
unlabeled_split = 'splits/1-8_seed0_unlabeled.txt'
unlabeled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(128, 256), cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='StrongView', transforms=[
        dict(type='PhotometricRandAugment', num_ops=2, magnitude=10),
        dict(type='RandomGaussianBlur', prob=0.5),
        dict(type='RandomCutOut', prob=0.5, n_holes=1, cutout_ratio=[(0.25, 0.25), (0.5, 0.5)]),
    ]),
    dict(type='PackUDAInputs'),
]
unlabeled_dataloader = dict(
    num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='UnlabeledDataset',
        dataset=dict(type='CityscapesDataset', data_root='data/demo_cityscapes/',
                     data_prefix=dict(img_path='leftImg8bit/train',
                                      seg_map_path='gtFine/train'),
                     ann_file=unlabeled_split),
        pipeline=unlabeled_pipeline))
