# CEGU on the demo data: the demo baseline with the same CEGU parts as
# ./deeplabv3_r18_cegu_cityscapes.py; only the size differs (the demo's small
# maps go to the discriminator at full resolution, a 600-iteration warm-up
# scaled to 100).
_base_ = ['../baseline/deeplabv3_r18_demo.py', '../_base_/cegu.py']
model = dict(decode_head=dict(loss_decode=dict(_delete_=True, **_base_.cegu_loss)))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(_base_.cegu_hook, warmup_iters=100,
         discriminator=dict(_base_.cegu_hook.discriminator, input_downsample=1)),
]
