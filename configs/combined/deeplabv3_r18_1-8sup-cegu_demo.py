# One part of ./deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py alone, for its
# comparison (docs/rcs.md): the supervised 1/8 demo reference with the
# combination's CEGU loss and discriminator hook.
_base_ = ['../uda/deeplabv3_r18_1-8sup_demo.py', '../_base_/cegu.py']
model = dict(decode_head=dict(loss_decode=[_base_.cegu_weighting, _base_.cegu_adversarial]))
custom_hooks = [dict(type='RandomStateHook'),
                dict(_base_.cegu_hook, warmup_iters=100, vis_interval=100)]
