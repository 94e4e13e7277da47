"""Data transforms registered in mmseg's TRANSFORMS."""
from .check_seg_map import CheckSegMap
from .formatting import PackLabelImagePair
from .loading import (CheckedLoadAnnotations, CheckedLoadImageFromFile, LoadInstanceBoundary,
                      RenderImageFromLabel)
from .paired_views import PackUDAInputs, PhotometricRandAugment, RandomGaussianBlur, StrongView

__all__ = [
    'CheckedLoadAnnotations', 'CheckedLoadImageFromFile', 'CheckSegMap', 'LoadInstanceBoundary',
    'PackLabelImagePair', 'PackUDAInputs', 'PhotometricRandAugment', 'RandomGaussianBlur',
    'RenderImageFromLabel', 'StrongView'
]
