# Ablation of ./deeplabv3_r18_uda_demo.py: UDA without the UniMatch-style
# CutMix between unlabeled images (Yang et al., CVPR 2023) that the UDA configs
# use by default, i.e. UDA's consistency on single strong views as in Xie et
# al. (docs/uda.md: 3 seeds, CutMix ahead on each).
_base_ = './deeplabv3_r18_uda_demo.py'
model = dict(cutmix_prob=0.0)
