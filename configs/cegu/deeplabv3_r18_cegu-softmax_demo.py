# Ablation on the demo data: the discriminator sees softmax maps (AdvSemiSeg's
# encoding) instead of the one-hot of the argmax. It can then tell predictions
# from one-hot ground truth by softness alone; docs/cegu.md measures what that does.
_base_ = './deeplabv3_r18_cegu_demo.py'
custom_hooks = [dict(type='RandomStateHook'), dict(_base_.cegu_hook, warmup_iters=100,
                                                   vis_interval=100, encoding='softmax')]
