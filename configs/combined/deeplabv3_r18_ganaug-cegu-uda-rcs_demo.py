# The demo twin of ./deeplabv3_r50_ganaug-cegu-uda-rcs_cityscapes.py: the same
# parts on the demo UDA config (../uda/deeplabv3_r18_uda_demo.py), with the
# demo's scaled values (RCS min_pixels as ../rcs/deeplabv3_r18_rcs_demo.py, CEGU
# warm-up as ../cegu/deeplabv3_r18_cegu_demo.py).
_base_ = ['../uda/deeplabv3_r18_uda_demo.py', '../_base_/ganaug.py',
          '../_base_/cegu.py', '../_base_/rcs.py']
train_dataloader = dict(dataset=dict(
    _base_.rcs_dataset, _delete_=True,
    dataset=dict(_base_.ganaug_dataset, dataset=_base_.train_dataloader.dataset,
                 synthetic_root='data/demo_cityscapes_1-8_ganaug/'),
    min_pixels=50,
    num_samples=_base_.train_cfg.max_iters * _base_.train_dataloader.batch_size))
model = dict(decode_head=dict(loss_decode=[_base_.cegu_weighting, _base_.cegu_adversarial]))
custom_hooks = [dict(type='RandomStateHook'),
                dict(_base_.cegu_hook, warmup_iters=100, vis_interval=100)]
