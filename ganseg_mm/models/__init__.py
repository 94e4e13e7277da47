"""Models registered in mmseg's MODELS (mmseg's ``models/`` layout).

``editors`` (GAN networks in mmagic's MODELS) is not imported here: see
:mod:`ganseg_mm.models.editors`.
"""
from .data_preprocessors import UDASegDataPreProcessor
from .decode_heads import DatasetGANInterpreterHead
from .discriminators import PixelDiscriminator
from .losses import CEGUAdversarialLoss, CEGULoss
from .segmentors import DatasetGANInterpreter, UDAEncoderDecoder

__all__ = [
    'CEGUAdversarialLoss', 'CEGULoss', 'DatasetGANInterpreter', 'DatasetGANInterpreterHead',
    'PixelDiscriminator', 'UDAEncoderDecoder', 'UDASegDataPreProcessor'
]
