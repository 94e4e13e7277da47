# DeepLabV3 R-50 (mmseg's Cityscapes config, via configs/baseline/deeplabv3_r50_cityscapes.py)
# trained on a DatasetGAN-generated dataset (tools/datasetgan/generate_dataset.py
# with configs/datasetgan/interpreter_cityscapes.py), evaluated on real
# Cityscapes val. The generated 512x512 images are Cityscapes scenes squeezed
# to a square (configs/datasetgan/stylegan2_512_cityscapes.py); they are resized
# to 1024x512 (keep_ratio=False) first, then mmseg's own augmentation.
_base_ = '../baseline/deeplabv3_r50_cityscapes.py'
default_scope = 'mmseg'
generated_root = 'data/datasetgan_cityscapes/'
train_pipeline = [
    *_base_.checked_loading,
    dict(type='Resize', scale=(1024, 512), keep_ratio=False),  # undo the square squeeze
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(512, 1024), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(dataset=dict(data_root=generated_root, pipeline=train_pipeline))
