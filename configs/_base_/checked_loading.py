# Loading that names a bad file: mmcv's/mmseg's loaders that report a file they
# cannot read as one line naming it, and every label map checked (ids in range,
# the size of its image) by CheckSegMap (README, "Bad input"). Only new keys;
# the baseline configs put it in place of the first two steps of mmseg's
# Cityscapes pipelines.
checked_loading = [dict(type='CheckedLoadImageFromFile'), dict(type='CheckedLoadAnnotations'),
                   dict(type='CheckSegMap', num_classes=19)]
