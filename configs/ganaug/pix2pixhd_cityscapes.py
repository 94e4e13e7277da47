# pix2pixHD on Cityscapes at 1024x512 (global generator), the label-to-image
# generator of the GAN augmentation (docs/ganaug.md). Settings of
# NVIDIA/pix2pixHD's Cityscapes recipe: one-hot labels + instance boundaries,
# global generator ngf 64 / 4 down-samplings / 9 residual blocks, 2-scale
# PatchGAN with 3 layers, LSGAN, feature matching 10, VGG 10, Adam 2e-4 (0.5,
# 0.999), batch 1, 200 epochs (100 constant + 100 linear decay). Here labels are
# the 19 trainIds (+ one ignore channel) instead of the 35 label ids.
# 8 GPUs x batch 1: bash tools/dist_train.sh configs/ganaug/pix2pixhd_cityscapes.py 8
# The VGG loss reads torchvision's vgg19 weights from the torch hub cache
# ($TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth); nothing is downloaded.
_base_ = 'mmagic::_base_/gen_default_runtime.py'
custom_imports = dict(imports=['ganseg_mm', 'ganseg_mm.models.editors'],
                      allow_failed_imports=False)
default_scope = 'mmagic'

num_classes = 19
data_root = 'data/cityscapes/'
model = dict(
    type='Pix2PixHD',
    data_preprocessor=dict(type='Pix2PixHDDataPreprocessor', num_classes=num_classes,
                           use_instance=True),
    generator=dict(type='Pix2PixHDGenerator', num_classes=num_classes, use_instance=True,
                   base_channels=64, n_downsampling=4, n_blocks=9, first_kernel=7),
    discriminator=dict(type='Pix2PixHDDiscriminator', in_channels=num_classes + 2 + 3,
                       base_channels=64, n_layers=3, num_scales=2),
    gan_type='lsgan',
    feat_match_weight=10.,
    vgg_loss=dict(weight=10., pretrained='torchvision://vgg19'))

train_pipeline = [
    dict(type='mmseg.CheckedLoadImageFromFile'),
    dict(type='mmseg.CheckedLoadAnnotations'),
    dict(type='mmseg.LoadInstanceBoundary'),
    dict(type='mmseg.Resize', scale=(1024, 512), keep_ratio=True),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackLabelImagePair'),
]
train_dataloader = dict(
    batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='mmseg.CityscapesDataset', data_root=data_root,
                 data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
                 pipeline=train_pipeline))

# 200 epochs of 2975 images at 8 GPUs x batch 1
max_iters = 74400
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
val_cfg = None
val_evaluator = None
test_cfg = None
test_evaluator = None
optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    generator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
param_scheduler = dict(
    generator=[dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False,
                    begin=max_iters // 2, end=max_iters)],
    discriminator=[dict(type='LinearLR', start_factor=1.0, end_factor=0.0, by_epoch=False,
                        begin=max_iters // 2, end=max_iters)])
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=5000, max_keep_ckpts=3, less_keys=[], greater_keys=[]))
custom_hooks = [dict(type='Pix2PixHDSampleGridHook', interval=2000, num_samples=4)]
