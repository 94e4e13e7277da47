# Stock mmseg baseline (79.32 mIoU on Cityscapes val), with the plugin loaded.
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py',
          '../_base_/checked_loading.py']
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
default_scope = 'mmseg'
# dropout masks continue exactly on --resume (mmengine checkpoints no RNG state)
custom_hooks = [dict(type='RandomStateHook')]
# mmseg's pipelines, loading through ../_base_/checked_loading.py
train_pipeline = [*_base_.checked_loading, *_base_.train_pipeline[2:]]
test_pipeline = [_base_.checked_loading[0], _base_.test_pipeline[1],
                 *_base_.checked_loading[1:], *_base_.test_pipeline[3:]]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
