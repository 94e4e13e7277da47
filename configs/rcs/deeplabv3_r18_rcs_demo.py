# Rare-class sampling on the demo data: the demo baseline with the same dataset
# wrapper as ./deeplabv3_r18_rcs_cityscapes.py. min_pixels keeps DAFormer's
# share of a label map (3000 of 2048x1024 ~ 50 of the demo's 256x128).
_base_ = ['../baseline/deeplabv3_r18_demo.py', '../_base_/rcs.py']
train_dataloader = dict(dataset=dict(
    _base_.rcs_dataset, _delete_=True, dataset=_base_.train_dataloader.dataset,
    min_pixels=50,
    num_samples=_base_.train_cfg.max_iters * _base_.train_dataloader.batch_size))
