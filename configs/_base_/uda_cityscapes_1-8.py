# UDA data on Cityscapes: the 1/8 labeled split and the unlabeled rest.
# Split files first: python tools/make_splits.py configs/baseline/deeplabv3_r50_cityscapes.py
# Only new keys (bases must not share keys); the UDA configs wire them in.
labeled_split = 'splits/1-8_seed0_labeled.txt'
unlabeled_split = 'splits/1-8_seed0_unlabeled.txt'
# weak view: geometry only (as mmseg's Cityscapes train pipeline, without the
# label-guided cat_max_ratio and without PhotoMetricDistortion); strong view:
# the same pixels through photometric RandAugment, blur and cutout.
strong_view = dict(type='StrongView', transforms=[
    dict(type='PhotometricRandAugment', num_ops=2, magnitude=10),
    dict(type='RandomGaussianBlur', prob=0.5),
    dict(type='RandomCutOut', prob=0.5, n_holes=1, cutout_ratio=[(0.25, 0.25), (0.5, 0.5)]),
])
unlabeled_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 1024), cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    strong_view,
    dict(type='PackUDAInputs'),
]
unlabeled_dataloader = dict(
    num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='UnlabeledDataset',
        dataset=dict(type='CityscapesDataset', data_root='data/cityscapes/',
                     data_prefix=dict(img_path='leftImg8bit/train',
                                      seg_map_path='gtFine/train'),
                     ann_file=unlabeled_split),
        pipeline=unlabeled_pipeline))
# what a UDA config merges into its segmentor's model and train_cfg
uda_model = dict(
    type='UDAEncoderDecoder',                               # was EncoderDecoder
    data_preprocessor=dict(type='UDASegDataPreProcessor'),  # was SegDataPreProcessor
    consistency_weight=1.0, temperature=0.4, confidence_threshold=0.8,
    tsa_schedule=None, rampup_iters=1000,
    # UniMatch-style CutMix between unlabeled strong views (Yang et al., CVPR
    # 2023), the teacher targets mixed with the same box: ahead of plain UDA on
    # each of 3 demo seeds (docs/uda.md); 0 gives UDA's single-view consistency
    cutmix_prob=0.5)
uda_train_cfg = dict(type='UDAIterBasedTrainLoop', unsup_ratio=1,
                     unlabeled_dataloader=unlabeled_dataloader)
