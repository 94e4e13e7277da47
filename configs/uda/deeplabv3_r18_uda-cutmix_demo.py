# Ablation of ./deeplabv3_r18_uda_demo.py: UniMatch-style CutMix between the
# unlabeled images of a batch (Yang et al., CVPR 2023): with probability 0.5 a
# strong view gets a box of the next image's strong view, and the consistency
# target in the box is the teacher's prediction for that image.
_base_ = './deeplabv3_r18_uda_demo.py'
model = dict(cutmix_prob=0.5)
