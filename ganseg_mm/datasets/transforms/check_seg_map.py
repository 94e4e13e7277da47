"""``CheckSegMap``: refuse bad segmentation samples with an error naming the file."""
from __future__ import annotations

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ganseg_mm.utils.errors import ConfigError, DataValidationError


@TRANSFORMS.register_module()
class CheckSegMap(BaseTransform):
    """Check a loaded sample: label ids in range and image/label sizes equal.

    Put it right after ``LoadAnnotations``. Without it a bad id surfaces as a
    device-side assert or a NaN loss much later, and a size mismatch as a shape
    error deep inside a crop transform. The label map is compared with the
    image *as loaded* (``ori_shape``), so the check is right both in training
    pipelines and in mmseg's test pipelines, where ``Resize`` runs before
    ``LoadAnnotations``.

    Required keys: ``img`` (or ``ori_shape``), ``gt_seg_map``, ``img_path``,
    ``seg_map_path``.

    Args:
        num_classes (int): Valid ids are ``0 .. num_classes - 1``.
            Defaults to 19 (Cityscapes train ids).
        ignore_index (int): The one id allowed outside that range.
            Defaults to 255.
    """

    def __init__(self, num_classes: int = 19, ignore_index: int = 255):
        if num_classes < 1:
            raise ConfigError(f'num_classes must be positive, got {num_classes}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        seg = results['gt_seg_map']
        seg_path = results.get('seg_map_path', '<unknown label file>')
        img_hw = results.get('ori_shape') or results['img'].shape[:2]
        if tuple(seg.shape[:2]) != tuple(img_hw):
            raise DataValidationError(
                f'{seg_path}: label map is {seg.shape[0]}x{seg.shape[1]} but its '
                f'image {results.get("img_path")} is {img_hw[0]}x{img_hw[1]}')
        if seg.dtype == np.uint8:  # the usual case: a linear-time histogram
            ids = np.flatnonzero(np.bincount(seg.ravel(), minlength=256))
        else:
            ids = np.unique(seg)
        bad = ids[((ids < 0) | (ids >= self.num_classes)) & (ids != self.ignore_index)]
        if bad.size:
            raise DataValidationError(
                f'{seg_path}: label ids {bad.tolist()[:10]} are outside '
                f'0..{self.num_classes - 1} and not the ignore index '
                f'{self.ignore_index}')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index})')
