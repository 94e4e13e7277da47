# CEGU on mmseg's DeepLabV3 R-18 Cityscapes config: CE -> CEGULoss plus the
# adversarial term, and the discriminator hook (../_base_/cegu.py); everything
# else is mmseg's.
_base_ = ['../baseline/deeplabv3_r18_cityscapes.py', '../_base_/cegu.py']
model = dict(decode_head=dict(loss_decode=[_base_.cegu_weighting, _base_.cegu_adversarial]))
custom_hooks = [dict(type='RandomStateHook'), _base_.cegu_hook]
