"""Decode heads registered in mmseg's MODELS."""
from . import datasetgan_interpreter_head  # noqa: F401  (registers)
