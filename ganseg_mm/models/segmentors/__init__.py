"""Segmentors registered in mmseg's MODELS."""
from .datasetgan_interpreter import DatasetGANInterpreter
from .uda_encoder_decoder import UDAEncoderDecoder

__all__ = ['DatasetGANInterpreter', 'UDAEncoderDecoder']
