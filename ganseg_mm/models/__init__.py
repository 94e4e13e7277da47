"""Models registered in mmseg's MODELS (mmseg's ``models/`` layout)."""
from . import decode_heads, editors, segmentors  # noqa: F401  (registers)
from .discriminators import PixelDiscriminator
from .losses import CEGUAdversarialLoss, CEGULoss

__all__ = ['CEGUAdversarialLoss', 'CEGULoss', 'PixelDiscriminator']
