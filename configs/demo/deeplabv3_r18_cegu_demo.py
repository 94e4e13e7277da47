# CEGU on the demo data: the demo baseline with CE replaced by CEGULoss and the
# discriminator hook added (`make demo` compares the two).
_base_ = './deeplabv3_r18_demo.py'
model = dict(decode_head=dict(loss_decode=dict(
    _delete_=True, type='CEGULoss', weighting='linear', strength=1.0, loss_weight=1.0)))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='CEGUDiscriminatorHook',
         discriminator=dict(type='PixelDiscriminator', in_channels=19),
         optim_wrapper=dict(type='OptimWrapper',
                            optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
         warmup_iters=100),
]
