"""Pixel-level GAN augmentation: class repositories, label-map composition, rendering."""
