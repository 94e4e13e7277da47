# ./deeplabv3_r18_ganaug_demo.py trained only on the synthetic images a
# segmenter recognises best: the worst-aligned 10 % are dropped, as DatasetGAN
# drops its most uncertain 10 % (docs/ganaug.md, "Checked synthetic data").
# Needs data/demo_cityscapes_ganaug/alignment.json from
# tools/ganaug/score_alignment.py.
_base_ = './deeplabv3_r18_ganaug_demo.py'
train_dataloader = dict(dataset=dict(drop_worst=0.1))
