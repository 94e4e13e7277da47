# One part of ./deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py alone, for its
# comparison (docs/rcs.md): the supervised 1/8 demo reference with the
# combination's rare-class sampling wrapper and nothing else.
_base_ = ['../uda/deeplabv3_r18_1-8sup_demo.py', '../_base_/rcs.py']
train_dataloader = dict(dataset=dict(
    _base_.rcs_dataset, _delete_=True, dataset=_base_.train_dataloader.dataset,
    min_pixels=50,
    num_samples=_base_.train_cfg.max_iters * _base_.train_dataloader.batch_size))
