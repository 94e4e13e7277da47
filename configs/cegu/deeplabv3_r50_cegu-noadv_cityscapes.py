# Ablation: the CEGU weighting alone, without the adversarial term.
_base_ = './deeplabv3_r50_cegu_cityscapes.py'
model = dict(decode_head=dict(loss_decode=[_base_.cegu_weighting]))
