"""Datasets, transforms and data checks (mmseg's ``datasets/`` layout)."""
from . import gan_augmented_dataset  # noqa: F401  (registers)
from .checks import check_data_cfgs, check_dataset_cfg
from .demo_data import generate_demo_cityscapes
from .errors import DataValidationError, data_error_message
from .transforms import CheckSegMap
from .unlabeled_dataset import UnlabeledDataset

__all__ = [
    'CheckSegMap', 'DataValidationError', 'check_data_cfgs', 'check_dataset_cfg',
    'data_error_message', 'generate_demo_cityscapes', 'UnlabeledDataset'
]
