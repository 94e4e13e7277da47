# Pixel-level GAN augmentation (Zhang, "Pixel Level Data Augmentation with
# GANs"): the real training set mixed with label maps composed to raise rare
# classes and rendered by pix2pixHD (docs/ganaug.md: tools/ganaug/extract_classes.py,
# tools/ganaug/compose_labels.py, tools/ganaug/synthesize.py). Only new keys; the GAN-aug
# configs wrap their training dataset with it.
ganaug_dataset = dict(type='GANAugmentedDataset', mode='ratio', synthetic_ratio=0.25, seed=0)
