# Ablation of ./deeplabv3_r18_uda_demo.py: the strong view's cutout box is a
# consistency target like any other pixel (StrongView exclude_erased=False), as
# before the box was masked out. Everything else is the UDA demo config.
_base_ = './deeplabv3_r18_uda_demo.py'
_pipeline = [dict(t, exclude_erased=False) if t['type'] == 'StrongView' else t
             for t in _base_.unlabeled_pipeline]
train_cfg = dict(unlabeled_dataloader=dict(dataset=dict(pipeline=_pipeline)))
