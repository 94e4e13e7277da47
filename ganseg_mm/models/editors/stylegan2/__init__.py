"""mmagic's StyleGAN2 with a channel cap, registered in mmagic's MODELS."""
from .slim_stylegan2 import SlimStyleGAN2Discriminator, SlimStyleGAN2Generator

__all__ = ['SlimStyleGAN2Discriminator', 'SlimStyleGAN2Generator']
