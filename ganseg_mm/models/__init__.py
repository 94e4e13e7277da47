"""Models registered in mmseg's MODELS (mmseg's ``models/`` layout)."""
from . import decode_heads, editors, segmentors  # noqa: F401  (registers)
from .data_preprocessors import UDASegDataPreProcessor
from .discriminators import PixelDiscriminator
from .losses import CEGUAdversarialLoss, CEGULoss
from .segmentors.uda_encoder_decoder import UDAEncoderDecoder

__all__ = [
    'CEGUAdversarialLoss', 'CEGULoss', 'PixelDiscriminator', 'UDAEncoderDecoder',
    'UDASegDataPreProcessor'
]
