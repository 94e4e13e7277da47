"""Pixel-level GAN augmentation (Zhang, "Pixel Level Data Augmentation with GANs"),
offline pipeline as plain functions called by the tools:

- :mod:`.class_repository`: class extraction into per-class region repositories
  (``tools/ganaug/extract_classes.py``);
- :mod:`.composer`, :mod:`.compose_set`: new label maps that raise rare classes
  (``tools/ganaug/compose_labels.py``);
- :mod:`.renderer`: rendering them with a trained pix2pixHD generator
  (``tools/ganaug/synthesize.py``);
- :mod:`.alignment`: how well each rendered image shows its label map, by a
  segmenter trained on the real data (``tools/ganaug/score_alignment.py``);
- :mod:`.analysis`: class frequency vs IoU and GAN colour error
  (``tools/ganaug/analyze_labels.py``).

The registered parts live in the folders of their kind: the networks in
``models/editors/pix2pixhd``, the dataset wrapper in ``datasets``, the
transforms in ``datasets/transforms``, the sample-grid hook in ``engine/hooks``.
"""
