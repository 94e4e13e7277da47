# The embedded demo data (`python tools/make_demo_data.py data/demo_cityscapes`):
# procedural street scenes in the exact Cityscapes layout, read by mmseg's own
# CityscapesDataset. Only the root, the sizes and the data checks differ from
# mmseg's Cityscapes base.
_base_ = 'mmseg::_base_/datasets/cityscapes.py'

custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)

data_root = 'data/demo_cityscapes/'
img_scale = (256, 128)  # (w, h) as in mmseg's Resize
crop_size = (128, 256)  # (h, w): whole images, thin classes need the resolution
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMap', num_classes=19),
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMap', num_classes=19),
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
