# DatasetGAN demo, step 1: ./stylegan2_512_cityscapes.py on the demo train images,
# on CPU: only the data and the size change. StyleGAN2 is square: the 128x256
# scenes are resized to 64x64 (aspect ratio squeezed 2:1; the annotator and the
# DeepLabV3 config undo it). Widths are capped at 64 channels
# (SlimStyleGAN2*: mmagic's layers otherwise) so that an iteration takes a
# fraction of a second on CPU. Train with
#   python tools/train.py configs/datasetgan/stylegan2_64_demo.py
_base_ = './stylegan2_512_cityscapes.py'
gan_size = 64
model = dict(
    generator=dict(type='SlimStyleGAN2Generator', out_size=gan_size, style_channels=128,
                   num_mlps=4, channel_multiplier=1, max_channels=64),
    # no ADA: it keeps a discriminator from overfitting a small set over a long
    # run; in these 600 iterations (8 passes over the data) it only slowed the
    # generator (docs/datasetgan.md, "ADA")
    discriminator=dict(type='SlimStyleGAN2Discriminator', in_size=gan_size,
                       channel_multiplier=1, max_channels=64, data_aug=None))
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(
        data_root='data/demo_cityscapes/leftImg8bit/train',
        pipeline=[dict(type='LoadImageFromFile', key='gt'),
                  dict(type='Resize', keys='gt', scale=(gan_size, gan_size)),
                  dict(type='Flip', keys=['gt'], direction='horizontal'),
                  dict(type='PackInputs')]))
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.002)),
    discriminator=dict(optimizer=dict(lr=0.002, betas=(0.0, 0.99))))
max_iters = 600
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1),
                     logger=dict(interval=50))
randomness = dict(seed=0)
