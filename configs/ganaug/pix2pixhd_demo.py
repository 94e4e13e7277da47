# pix2pixHD on the demo data, on CPU in minutes: ./pix2pixhd_cityscapes.py with
# the data and the size changed: widths 16/16, 3 down-samplings, 3 residual
# blocks, 3x3 outer convs, a 2-layer discriminator, 128x256 whole images, 200
# iterations at batch 4 and a 10x learning rate, no VGG loss (no VGG weights can
# be downloaded here), bottleneck width 64.
_base_ = './pix2pixhd_cityscapes.py'

data_root = 'data/demo_cityscapes/'
model = dict(
    generator=dict(base_channels=16, n_downsampling=3, n_blocks=3, first_kernel=3,
                   max_channels=64),
    discriminator=dict(base_channels=16, n_layers=2),
    vgg_loss=None)
train_pipeline = [
    dict(type='mmseg.CheckedLoadImageFromFile'),
    dict(type='mmseg.CheckedLoadAnnotations'),
    dict(type='mmseg.LoadInstanceBoundary'),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackLabelImagePair'),
]
train_dataloader = dict(
    batch_size=4, num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
max_iters = 200
train_cfg = dict(max_iters=max_iters)
param_scheduler = None
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=2e-3)),
    discriminator=dict(optimizer=dict(lr=2e-3)))
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
custom_hooks = [dict(type='Pix2PixHDSampleGridHook', interval=50, num_samples=4)]
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0, diff_rank_seed=True)
