# DatasetGAN demo, step 5: the demo DeepLabV3 R-18 (configs/baseline/deeplabv3_r18_demo.py,
# same model and schedule) trained only on the generated, uncertainty-filtered
# dataset (tools/datasetgan/generate_dataset.py) and evaluated on the real demo
# val split. The generated images are 64x64 squeezed scenes: they are resized
# back to the demo's 256x128 (keep_ratio=False) before the usual augmentation.
_base_ = '../baseline/deeplabv3_r18_demo.py'
default_scope = 'mmseg'
generated_root = 'data/demo_datasetgan/'  # written by tools/run_demo.py
img_scale = (256, 128)
train_pipeline = [
    *_base_.checked_loading,
    dict(type='Resize', scale=img_scale, keep_ratio=False),  # undo the square squeeze
    dict(type='RandomResize', scale=img_scale, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(data_root=generated_root, pipeline=train_pipeline))
