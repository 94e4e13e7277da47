# Rare-class sampling on mmseg's DeepLabV3 R-18 Cityscapes config: the training
# set wrapped by RareClassSamplingDataset (../_base_/rcs.py); everything else
# is mmseg's.
_base_ = ['../baseline/deeplabv3_r18_cityscapes.py', '../_base_/rcs.py']
train_dataloader = dict(dataset=dict(
    _base_.rcs_dataset, _delete_=True, dataset=_base_.train_dataloader.dataset,
    # one independent draw per training sample of the 4 GPU x 2 image schedule
    num_samples=_base_.train_cfg.max_iters * 4 * _base_.train_dataloader.batch_size))
