# pix2pixHD on the demo data, on CPU in minutes: the label-to-image generator
# of the GAN augmentation (docs/ganaug.md). Same model as
# pix2pixhd_cityscapes.py, shrunk for CPU: widths 16/16, 3 down-samplings,
# 3 residual blocks, 3x3 outer convs, 128x256 whole images, no VGG loss (no
# VGG weights can be downloaded here), bottleneck width 64.
_base_ = 'mmagic::_base_/gen_default_runtime.py'
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
default_scope = 'mmagic'

num_classes = 19
data_root = 'data/demo_cityscapes/'
model = dict(
    type='Pix2PixHD',
    data_preprocessor=dict(type='Pix2PixHDDataPreprocessor', num_classes=num_classes,
                           use_instance=True),
    generator=dict(type='Pix2PixHDGenerator', num_classes=num_classes, use_instance=True,
                   base_channels=16, n_downsampling=3, n_blocks=3, first_kernel=3,
                   max_channels=64),
    discriminator=dict(type='Pix2PixHDDiscriminator', in_channels=num_classes + 2 + 3,
                       base_channels=16, n_layers=2, num_scales=2),
    gan_type='lsgan',
    feat_match_weight=10.,
    vgg_loss=None)

train_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.LoadInstanceBoundary'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackLabelImagePair'),
]
train_dataloader = dict(
    batch_size=4, num_workers=2, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='mmseg.CityscapesDataset', data_root=data_root,
                 data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                 pipeline=train_pipeline))

max_iters = 200
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
val_cfg = None
val_evaluator = None
test_cfg = None
test_evaluator = None
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=2e-3, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=2e-3, betas=(0.5, 0.999))))
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1, less_keys=[], greater_keys=[]))
custom_hooks = [dict(type='Pix2PixHDSampleGridHook', interval=50, num_samples=4)]
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0, diff_rank_seed=True)
