"""Reading label and instance maps with the project's checks (one place each)."""
from __future__ import annotations

import os.path as osp
from typing import Optional

import cv2
import numpy as np

from .errors import DataValidationError

CITYSCAPES_LABEL_SUFFIXES = ('_gtFine_labelTrainIds.png', '_gtFine_labelIds.png')
CITYSCAPES_INSTANCE_SUFFIX = '_gtFine_instanceIds.png'


def check_label_ids(ids, num_classes: int, ignore_index: int = 255,
                    source: str = 'label map') -> None:
    """Raise :class:`DataValidationError` naming ``source`` if any of ``ids``
    (the distinct ids of a map) is outside ``[0, num_classes)`` and not
    ``ignore_index``."""
    ids = np.asarray(ids).ravel()
    bad = ids[((ids < 0) | (ids >= num_classes)) & (ids != ignore_index)]
    if bad.size:
        raise DataValidationError(
            f'{source}: label ids {sorted(int(i) for i in bad)[:10]} are outside '
            f'0..{num_classes - 1} and not the ignore index {ignore_index}')


def label_ids(label: np.ndarray) -> np.ndarray:
    """Distinct ids of a label map (a linear-time histogram for uint8 maps)."""
    if label.dtype == np.uint8:
        return np.flatnonzero(np.bincount(label.ravel(), minlength=256))
    return np.unique(label)


def read_label(path: str, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """uint8 class-id map; missing or corrupt files and ids outside the class
    range raise :class:`DataValidationError` naming ``path``."""
    lab = cv2.imread(path, cv2.IMREAD_UNCHANGED) if osp.isfile(path) else None
    if lab is None:
        raise DataValidationError(f'{path}: missing or not a readable PNG')
    if lab.ndim != 2:
        raise DataValidationError(f'{path}: label map must have one channel, '
                                  f'got shape {lab.shape}')
    check_label_ids(label_ids(lab), num_classes, ignore_index, path)
    return lab.astype(np.uint8)


def instance_path(seg_map_path: str) -> str:
    """Where the instance map of a label map lives: Cityscapes'
    ``*_gtFine_instanceIds.png`` next to ``*_gtFine_label{Train,}Ids.png``,
    otherwise ``<label stem>_instanceIds.png`` beside the label map."""
    for suffix in CITYSCAPES_LABEL_SUFFIXES:
        if seg_map_path.endswith(suffix):
            return seg_map_path[:-len(suffix)] + CITYSCAPES_INSTANCE_SUFFIX
    return osp.splitext(seg_map_path)[0] + '_instanceIds.png'


def read_instances(seg_map_path: str, shape) -> Optional[np.ndarray]:
    """int32 instance map of a label map, or None where the dataset has none."""
    path = instance_path(seg_map_path)
    if not osp.isfile(path):
        return None
    inst = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if inst is None:
        raise DataValidationError(f'{path}: not a readable PNG')
    if inst.shape[:2] != tuple(shape[:2]):
        raise DataValidationError(f'{path}: size {inst.shape[:2]} differs from the label '
                                  f'map {tuple(shape[:2])}')
    return inst.astype(np.int32)
