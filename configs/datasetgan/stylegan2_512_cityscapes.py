# DatasetGAN full scale, step 1: mmagic's StyleGAN2 (config-f widths) at 512x512
# on the Cityscapes train images squeezed to a square (2048x1024 -> 512x512).
#   bash tools/dist_train.sh configs/datasetgan/stylegan2_512_cityscapes.py 8
# (8 GPUs x batch 4; not run here: no GPU, no Cityscapes).
_base_ = ['mmagic::_base_/models/base_styleganv2.py', 'mmagic::_base_/gen_default_runtime.py']
custom_imports = dict(imports=['ganseg_mm', 'ganseg_mm.models.editors'],
                      allow_failed_imports=False)
gan_size = 512
# StyleGAN2-ADA (Karras et al., NeurIPS 2020): a few thousand images overfit
# the discriminator; mmagic's ADA augments what it sees with a probability p
# that rises while its sign(D(real)) average exceeds 0.6 (p shown as
# `augment` in the log). 'bgc', the paper's default pipeline; p may move by
# 1 per ada_kimg thousand real images.
ada_pipeline = dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1,
                    brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1)
model = dict(generator=dict(out_size=gan_size, style_channels=512, channel_multiplier=2),
             discriminator=dict(type='ADAStyleGAN2Discriminator', in_size=gan_size,
                                channel_multiplier=2,
                                data_aug=dict(type='ADAAug', aug_pipeline=ada_pipeline,
                                              ada_target=0.6, ada_kimg=500)))
train_dataloader = dict(
    batch_size=4, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='BasicImageDataset', data_root='data/cityscapes/leftImg8bit/train',
        data_prefix=dict(gt=''), recursive=True,
        pipeline=[dict(type='LoadImageFromFile', key='gt'),
                  dict(type='Resize', keys='gt', scale=(gan_size, gan_size)),
                  dict(type='Flip', keys=['gt'], direction='horizontal'),
                  dict(type='PackInputs')]))
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=0.0016, betas=(0.0, 0.99))),
    discriminator=dict(optimizer=dict(type='Adam', lr=0.0018823529411764706,
                                      betas=(0.0, 0.9905854573074332))))
max_iters = 200000
train_cfg = dict(by_epoch=False, max_iters=max_iters, val_interval=10**9)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
default_hooks = dict(checkpoint=dict(interval=10000, max_keep_ckpts=3),
                     logger=dict(interval=100))
