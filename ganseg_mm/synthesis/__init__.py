"""Pixel-level GAN augmentation: class repositories, label-map composition, rendering."""
from . import online  # noqa: F401  (registers RenderImageFromLabel)
