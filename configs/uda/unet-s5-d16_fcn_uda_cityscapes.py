# UDA with mmseg's U-Net (S5-D16, FCN head) on Cityscapes at a 1/8
# labeled split: mmseg's UNet Cityscapes config plus the unlabeled 7/8 and the
# consistency objective. Split files: tools/make_splits.py CONFIG.
_base_ = ['mmseg::unet/unet-s5-d16_fcn_4xb4-160k_cityscapes-512x1024.py',
          '../_base_/uda_cityscapes_1-8.py']
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
default_scope = 'mmseg'
model = {{_base_.uda_model}}
train_dataloader = dict(dataset=dict(ann_file={{_base_.labeled_split}}))
train_cfg = {{_base_.uda_train_cfg}}
custom_hooks = [dict(type='RandomStateHook')]
