"""Models registered in mmseg's MODELS (mmseg's ``models/`` layout)."""
from .discriminators import PixelDiscriminator
from .losses import CEGUAdversarialLoss, CEGULoss

__all__ = ['CEGUAdversarialLoss', 'CEGULoss', 'PixelDiscriminator']
