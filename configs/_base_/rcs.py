# Rare-class sampling (DAFormer, Hoyer et al., CVPR 2022): images drawn for a
# class sampled by rarity, crops kept only when they hold that class. DAFormer's
# settings for full-resolution label maps. Only new keys; the RCS configs wrap
# their training dataset with it.
rcs_dataset = dict(type='RareClassSamplingDataset', temperature=0.01, min_pixels=3000,
                   min_crop_ratio=0.5)
