# CEGU on the demo data: the demo baseline with the same CEGU parts as
# ./deeplabv3_r18_cegu_cityscapes.py; only the schedule differs (the
# 1000-iteration warm-up of an 80k schedule scaled to 100 of 600, and a
# weight-map picture every 100 iterations).
_base_ = ['../baseline/deeplabv3_r18_demo.py', '../_base_/cegu.py']
model = dict(decode_head=dict(loss_decode=[_base_.cegu_weighting, _base_.cegu_adversarial]))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(_base_.cegu_hook, warmup_iters=100, vis_interval=100),
]
