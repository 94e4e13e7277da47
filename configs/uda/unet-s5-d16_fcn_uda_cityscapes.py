# UDA with mmseg's U-Net (S5-D16, FCN head) on Cityscapes at a 1/8
# labeled split: mmseg's UNet Cityscapes config plus the unlabeled 7/8 and the
# consistency objective. Split files: tools/make_splits.py CONFIG.
_base_ = ['mmseg::unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py',
          '../_base_/uda_cityscapes_1-8.py', '../_base_/checked_loading.py']
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
default_scope = 'mmseg'
model = {{_base_.uda_model}}
# mmseg's pipelines, loading through ../_base_/checked_loading.py
train_pipeline = [*_base_.checked_loading, *_base_.train_pipeline[2:]]
test_pipeline = [_base_.checked_loading[0], _base_.test_pipeline[1],
                 *_base_.checked_loading[1:], *_base_.test_pipeline[3:]]
train_dataloader = dict(dataset=dict(ann_file=_base_.labeled_split, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = {{_base_.uda_train_cfg}}
custom_hooks = [dict(type='RandomStateHook')]
