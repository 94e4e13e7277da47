"""Functions shared by models: StyleGAN2 per-pixel features, ensemble uncertainty,
CutMix between unlabeled images."""
