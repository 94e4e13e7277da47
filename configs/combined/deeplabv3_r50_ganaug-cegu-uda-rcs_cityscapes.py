# All four label-saving methods plus rare-class sampling in one stock config:
# UDA on the 1/8 labeled split (../uda/deeplabv3_r50_uda_cityscapes.py), its
# labeled set mixed with the pix2pixHD-synthesized set (../_base_/ganaug.py)
# and sampled by class rarity (../_base_/rcs.py), the supervised loss CEGU's
# (../_base_/cegu.py). Build the GAN-aug set from the labeled split only
# (docs/rcs.md), or the labels UDA treats as unknown leak into training.
_base_ = ['../uda/deeplabv3_r50_uda_cityscapes.py', '../_base_/ganaug.py',
          '../_base_/cegu.py', '../_base_/rcs.py']
train_dataloader = dict(dataset=dict(
    _base_.rcs_dataset, _delete_=True,
    dataset=dict(_base_.ganaug_dataset, dataset=_base_.train_dataloader.dataset,
                 synthetic_root='data/cityscapes_1-8_ganaug/'),
    num_samples=_base_.train_cfg.max_iters * 4 * _base_.train_dataloader.batch_size))
model = dict(decode_head=dict(loss_decode=[_base_.cegu_weighting, _base_.cegu_adversarial]))
custom_hooks = [dict(type='RandomStateHook'), _base_.cegu_hook]
