# DatasetGAN demo, reference (a): the demo DeepLabV3 R-18 (same model and
# schedule) trained on 16 real labelled images, the annotation budget the
# interpreter of ./interpreter_demo.py gets (16 annotated generated images).
# Split file (the first 16 of the seeded permutation that also orders the 1/8
# split of the UDA configs):
#   python tools/make_splits.py configs/baseline/deeplabv3_r18_demo.py --fractions 16/300
_base_ = '../baseline/deeplabv3_r18_demo.py'
labeled_split = 'splits/4-75_seed0_labeled.txt'  # 16/300 in lowest terms
train_dataloader = dict(dataset=dict(ann_file=labeled_split))
