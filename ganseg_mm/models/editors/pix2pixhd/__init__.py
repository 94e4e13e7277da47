"""pix2pixHD (Wang et al., CVPR 2018): global generator and multi-scale PatchGAN,
registered in mmagic's MODELS."""
from .discriminator import Pix2PixHDDiscriminator
from .generator import Pix2PixHDGenerator
from .losses import VGGLoss, feature_matching_loss, gan_loss, resolve_vgg_weights
from .pix2pixhd import Pix2PixHD

__all__ = [
    'Pix2PixHD', 'Pix2PixHDDiscriminator', 'Pix2PixHDGenerator', 'VGGLoss',
    'feature_matching_loss', 'gan_loss', 'resolve_vgg_weights'
]
