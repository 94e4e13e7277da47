"""pix2pixHD (global generator, multi-scale PatchGAN) registered in mmagic's MODELS."""
from .condition import instance_boundary, make_condition
from .data import LoadInstanceBoundary, PackLabelImagePair, Pix2PixHDDataPreprocessor
from .discriminator import Pix2PixHDDiscriminator
from .generator import Pix2PixHDGenerator
from .losses import VGGLoss, feature_matching_loss, gan_loss, resolve_vgg_weights
from .pix2pixhd import Pix2PixHD
from .sample_grid_hook import Pix2PixHDSampleGridHook

__all__ = [
    'LoadInstanceBoundary', 'PackLabelImagePair', 'Pix2PixHD', 'Pix2PixHDDataPreprocessor',
    'Pix2PixHDDiscriminator', 'Pix2PixHDGenerator', 'Pix2PixHDSampleGridHook', 'VGGLoss',
    'feature_matching_loss', 'gan_loss', 'instance_boundary', 'make_condition',
    'resolve_vgg_weights'
]
