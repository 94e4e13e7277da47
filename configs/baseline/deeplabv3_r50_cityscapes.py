# Stock mmseg baseline (79.32 mIoU on Cityscapes val), with the plugin loaded.
_base_ = 'mmseg::deeplabv3/deeplabv3_r50-d8_4xb2-80k_cityscapes-512x1024.py'
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
default_scope = 'mmseg'
# dropout masks continue exactly on --resume (mmengine checkpoints no RNG state)
custom_hooks = [dict(type='RandomStateHook')]
