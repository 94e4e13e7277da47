"""Data transforms registered in mmseg's TRANSFORMS."""
from .check_seg_map import CheckSegMap
from .paired_views import PackUDAInputs, PhotometricRandAugment, RandomGaussianBlur, StrongView

__all__ = [
    'CheckSegMap', 'PackUDAInputs', 'PhotometricRandAugment', 'RandomGaussianBlur',
    'StrongView'
]
