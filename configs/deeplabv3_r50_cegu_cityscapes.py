# CEGU (seed 002) on mmseg's DeepLabV3 R-50 Cityscapes config: CE -> CEGULoss and
# the discriminator hook; everything else is mmseg's. The discriminator sees the
# maps 4x average-pooled (input_downsample=4) to keep its cost small at 512x1024.
_base_ = './deeplabv3_r50_cityscapes.py'
model = dict(decode_head=dict(loss_decode=dict(
    _delete_=True, type='CEGULoss', weighting='linear', strength=1.0, loss_weight=1.0)))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='CEGUDiscriminatorHook',
         discriminator=dict(type='PixelDiscriminator', in_channels=19, input_downsample=4),
         optim_wrapper=dict(type='OptimWrapper',
                            optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
         warmup_iters=1000),
]
