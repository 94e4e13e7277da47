"""Decode heads registered in mmseg's MODELS."""
from .datasetgan_interpreter_head import DatasetGANInterpreterHead

__all__ = ['DatasetGANInterpreterHead']
