"""Data preprocessors registered in mmseg's MODELS."""
from .uda_data_preprocessor import UDASegDataPreProcessor

__all__ = ['UDASegDataPreProcessor']
