"""Data transforms registered in mmseg's TRANSFORMS."""
from .check_seg_map import CheckSegMap

__all__ = ['CheckSegMap']
