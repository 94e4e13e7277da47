# One part of ./deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py alone, for its
# comparison (docs/rcs.md): the supervised 1/8 demo reference mixed with the
# combination's pix2pixHD set, made from the labeled 1/8 only.
_base_ = ['../uda/deeplabv3_r18_1-8sup_demo.py', '../_base_/ganaug.py']
train_dataloader = dict(dataset=dict(
    _base_.ganaug_dataset, _delete_=True, dataset=_base_.train_dataloader.dataset,
    synthetic_root='data/demo_cityscapes_1-8_ganaug/'))
