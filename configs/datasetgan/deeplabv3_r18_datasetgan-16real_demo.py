# DatasetGAN demo, (c): the generated set of ./deeplabv3_r18_datasetgan_demo.py
# plus the 16 real labelled images of ./deeplabv3_r18_16real_demo.py, each
# real image repeated 17 times so that real and generated samples have about
# equal shares (16 x 17 = 272 against the 270 images the demo keeps of 300).
# Its pipeline resizes to 256x128 without keeping the ratio: the identity on
# the real images, which are 256x128 already.
_base_ = './deeplabv3_r18_datasetgan_demo.py'
real_root = 'data/demo_cityscapes/'
labeled_split = 'splits/4-75_seed0_labeled.txt'  # as ./deeplabv3_r18_16real_demo.py
real_repeats = 17
train_dataloader = dict(dataset=dict(
    _delete_=True, type='ConcatDataset', datasets=[
        _base_.train_dataloader.dataset,
        dict(type='RepeatDataset', times=real_repeats, dataset=dict(
            _base_.train_dataloader.dataset, data_root=real_root, ann_file=labeled_split))]))
