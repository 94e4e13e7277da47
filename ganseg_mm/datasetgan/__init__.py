"""DatasetGAN: StyleGAN2 per-pixel features, annotation import, dataset generation."""
