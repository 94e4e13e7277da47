# DeepLabV3 ResNet-18 on the embedded demo data, on CPU in minutes: mmseg's R-18
# Cityscapes config (./deeplabv3_r18_cityscapes.py) with only the data and the
# size changed, plus what CPU training from scratch needs: BN instead of
# SyncBN, no ImageNet weights (none can be downloaded here), a short AdamW
# schedule. Every method's demo config inherits this one.
# Data: python tools/make_demo_data.py data/demo_cityscapes
_base_ = './deeplabv3_r18_cityscapes.py'

data_root = 'data/demo_cityscapes/'  # the Cityscapes layout, read by CityscapesDataset
img_scale = (256, 128)  # (w, h) as in mmseg's Resize
crop_size = (128, 128)  # (h, w): full height (context: sky above, road below), full
# resolution (thin classes); 2 per batch: 600 iterations in ~4 min on 2 CPU cores
train_pipeline = [
    *_base_.checked_loading,
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    _base_.checked_loading[0],
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    *_base_.checked_loading[1:],
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2, num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='PerClassIoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(norm_cfg=norm_cfg),
    auxiliary_head=dict(norm_cfg=norm_cfg))

max_iters = 600
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0,
                        end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=25, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters))
randomness = dict(seed=0)
