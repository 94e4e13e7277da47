"""Segmentor wrappers registered in mmseg's MODELS."""
from . import uda_encoder_decoder  # noqa: F401  (registers)
