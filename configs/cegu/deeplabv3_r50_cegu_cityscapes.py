# CEGU on mmseg's DeepLabV3 R-50 Cityscapes config: CE -> CEGULoss and the
# discriminator hook (../_base_/cegu.py); everything else is mmseg's. The
# discriminator sees the maps 4x average-pooled (input_downsample=4).
_base_ = ['../baseline/deeplabv3_r50_cityscapes.py', '../_base_/cegu.py']
model = dict(decode_head=dict(loss_decode=dict(_delete_=True, **_base_.cegu_loss)))
custom_hooks = [dict(type='RandomStateHook'), _base_.cegu_hook]
