"""Datasets, transforms and data checks (mmseg's ``datasets/`` layout)."""
from .checks import check_data_cfgs, check_dataset_cfg
from .datasetgan_annotation_dataset import DatasetGANAnnotationDataset
from .gan_augmented_dataset import GANAugmentedDataset
from .rare_class_sampling_dataset import RareClassSamplingDataset
from .transforms import CheckSegMap
from .unlabeled_dataset import UnlabeledDataset

__all__ = [
    'CheckSegMap', 'DatasetGANAnnotationDataset', 'GANAugmentedDataset',
    'RareClassSamplingDataset', 'UnlabeledDataset', 'check_data_cfgs', 'check_dataset_cfg'
]
