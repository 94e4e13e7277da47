"""Data preprocessors. ``UDASegDataPreProcessor`` (mmseg's MODELS) is registered
here; ``Pix2PixHDDataPreprocessor`` (mmagic's MODELS) by
:mod:`ganseg_mm.models.editors`, so that mmagic is imported only by GAN users."""
from .uda_data_preprocessor import UDASegDataPreProcessor

__all__ = ['UDASegDataPreProcessor']
