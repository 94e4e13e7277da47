"""Weak/strong views of one unlabeled image with identical geometry (UDA).

The unlabeled pipeline first applies the weak, geometric augmentation (resize,
crop, flip) once; ``StrongView`` then derives the strong view from that same
image with photometric operations only (``PhotometricRandAugment``,
``RandomGaussianBlur``, mmseg's ``RandomCutOut``...), and ``PackUDAInputs``
packs both. Because the geometry is shared, the prediction on the weak view is
a pixel-aligned target for the strong view. mmdet's ``MultiBranch`` is the
precedent; here the branches share the geometric part by construction.

Example (the tail of an unlabeled pipeline)::

    dict(type='RandomFlip', prob=0.5),
    dict(type='StrongView', transforms=[
        dict(type='PhotometricRandAugment', num_ops=2, magnitude=10),
        dict(type='RandomGaussianBlur', prob=0.5),
        dict(type='RandomCutOut', prob=0.5, n_holes=1, cutout_ratio=(0.25, 0.5))]),
    dict(type='PackUDAInputs'),
"""
from __future__ import annotations

import copy
import inspect
from typing import List, Sequence

import cv2
import mmcv
import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose
from mmcv.transforms.utils import cache_randomness
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

from ganseg_mm.utils.errors import ConfigError, DataValidationError

GEOMETRY_KEYS = ('img_shape', 'flip', 'flip_direction', 'scale_factor', 'keep_ratio')
# transform names that move pixels; refused in a strong view when it is built
GEOMETRIC_WORDS = ('Flip', 'Resize', 'Crop', 'Rotate', 'Pad', 'Affine', 'Mosaic', 'Shear',
                   'Translate', 'Mix')


def _level(magnitude: float) -> float:
    """A random strength in [0, magnitude / 10] (RandAugment with random magnitude)."""
    return np.random.uniform(0, magnitude) / 10.0


def _signed(v: float) -> float:
    return v if np.random.rand() < 0.5 else -v


PHOTOMETRIC_OPS = {
    'identity': lambda img, m: img,
    'autocontrast': lambda img, m: mmcv.auto_contrast(img),
    'equalize': lambda img, m: mmcv.imequalize(img),
    'solarize': lambda img, m: mmcv.solarize(img, thr=256 - _level(m) * 256),
    'posterize': lambda img, m: mmcv.posterize(img, bits=8 - int(round(_level(m) * 4))),
    'brightness': lambda img, m: mmcv.adjust_brightness(img, 1 + _signed(_level(m) * 0.9)),
    'contrast': lambda img, m: mmcv.adjust_contrast(img, 1 + _signed(_level(m) * 0.9)),
    'color': lambda img, m: mmcv.adjust_color(img, 1 + _signed(_level(m) * 0.9)),
    'sharpness': lambda img, m: mmcv.adjust_sharpness(img, 1 + _signed(_level(m) * 0.9)),
}


@TRANSFORMS.register_module()
class PhotometricRandAugment(BaseTransform):
    """RandAugment restricted to photometric ops (no geometry), on ``img``.

    Args:
        num_ops (int): ops applied per image, drawn with replacement. Defaults to 2.
        magnitude (float): the largest strength, 0-10 scale; each op draws its
            strength uniformly in [0, magnitude]. Defaults to 10.
        ops (Sequence[str], optional): op names, a subset of
            ``PHOTOMETRIC_OPS``. Defaults to all of them.
    """

    def __init__(self, num_ops: int = 2, magnitude: float = 10,
                 ops: Sequence[str] | None = None):
        ops = list(ops) if ops is not None else list(PHOTOMETRIC_OPS)
        unknown = [o for o in ops if o not in PHOTOMETRIC_OPS]
        if unknown:
            raise ConfigError(f'unknown ops {unknown}; choose from {list(PHOTOMETRIC_OPS)}')
        if num_ops < 1 or not ops:
            raise ConfigError(f'num_ops must be >= 1 and ops non-empty, got {num_ops}, {ops}')
        if not 0 <= magnitude <= 10:
            raise ConfigError(f'magnitude must be in [0, 10], got {magnitude}')
        self.num_ops, self.magnitude, self.ops = num_ops, magnitude, ops

    def transform(self, results: dict) -> dict:
        img = results['img']
        for name in np.random.choice(self.ops, self.num_ops):
            img = PHOTOMETRIC_OPS[name](img, self.magnitude)
        results['img'] = np.ascontiguousarray(img.astype(np.uint8))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_ops={self.num_ops}, '
                f'magnitude={self.magnitude}, ops={self.ops})')


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Gaussian blur of ``img`` with probability ``prob``.

    Args:
        prob (float): probability of blurring. Defaults to 0.5.
        sigma_range (tuple[float]): sigma drawn uniformly in this range.
            Defaults to (0.1, 2.0).
    """

    def __init__(self, prob: float = 0.5, sigma_range=(0.1, 2.0)):
        if not 0 <= prob <= 1:
            raise ConfigError(f'prob must be in [0, 1], got {prob}')
        if not 0 < sigma_range[0] <= sigma_range[1]:
            raise ConfigError(f'sigma_range must be 0 < low <= high, got {sigma_range}')
        self.prob, self.sigma_range = prob, tuple(sigma_range)

    @cache_randomness
    def _sigma(self):
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.sigma_range))

    def transform(self, results: dict) -> dict:
        sigma = self._sigma()
        if sigma is not None:
            k = max(3, int(2 * round(3 * sigma) + 1))
            results['img'] = cv2.GaussianBlur(results['img'], (k, k), sigma)
        return results


def _erasing_marks_visibility(step):
    """A step that erases regions and can fill segmentation fields (mmseg's
    ``RandomCutOut``: ``seg_fill_in``) fills them with 0, so that the view's
    visibility mask loses the erased pixels."""
    if not isinstance(step, dict):
        return step
    cls = TRANSFORMS.get(step.get('type')) if isinstance(step.get('type'), str) \
        else step.get('type')
    if cls is not None and 'seg_fill_in' in inspect.signature(cls.__init__).parameters:
        step = dict(step, seg_fill_in=0)
    return step


@TRANSFORMS.register_module()
class StrongView(BaseTransform):
    """Add ``img_strong``: the current image after ``transforms`` (photometric
    only), and ``strong_visible``: a bool (H, W) map, False where a step erased
    the image (mmseg's ``RandomCutOut``).

    The consistency loss skips the erased pixels: there the strong view shows
    nothing of the image, so asking the student for the teacher's label would
    train it to guess through a blank box. Erasing steps are recognised by their
    ``seg_fill_in`` argument, which the view sets to 0 (its only segmentation
    field is the visibility map).

    Args:
        transforms (list[dict]): the strong augmentation, photometric only:
            known geometric transforms (flip, resize, crop, rotate, pad,
            mix...) are refused when built; at run time a change of the image
            size or of a geometric key (``img_shape``, ``flip``, ...) raises a
            DataValidationError naming it.
        exclude_erased (bool): mark erased pixels in ``strong_visible`` (and
            so leave them out of the consistency loss). False: erased pixels
            are targets like any other (the ablation). Defaults to True.
    """

    def __init__(self, transforms: List[dict], exclude_erased: bool = True):
        geometric = [t.get('type') for t in transforms if isinstance(t, dict) and
                     any(w in str(t.get('type')) for w in GEOMETRIC_WORDS)]
        if geometric:
            raise ConfigError(f'StrongView: {geometric} change geometry; the strong view must '
                              'keep the weak view\'s pixels in place (photometric ops only)')
        self.exclude_erased = exclude_erased
        self.transforms = Compose([_erasing_marks_visibility(t) for t in transforms]
                                  if exclude_erased else transforms)

    def transform(self, results: dict) -> dict:
        view = copy.copy(results)
        view['img'] = results['img'].copy()
        # the view's only segmentation field: erasing steps zero it where they erase
        view['seg_fields'] = ['strong_visible'] if self.exclude_erased else []
        if self.exclude_erased:
            view['strong_visible'] = np.ones(results['img'].shape[:2], np.uint8)
        view = self.transforms(view)
        if view is None:
            raise DataValidationError('StrongView: a strong transform dropped the sample')
        if view['img'].shape != results['img'].shape:
            raise DataValidationError(
                f'StrongView: the strong view changed the image shape from '
                f'{results["img"].shape} to {view["img"].shape} '
                f'({results.get("img_path")}); use photometric transforms only')
        changed = [k for k in GEOMETRY_KEYS if k in results and
                   not np.array_equal(np.asarray(view.get(k)), np.asarray(results[k]))]
        if changed:
            raise DataValidationError(f'StrongView: the strong view changed geometry keys '
                                      f'{changed}; use photometric transforms only')
        results['img_strong'] = view['img']
        if self.exclude_erased:
            results['strong_visible'] = view['strong_visible'] > 0
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'exclude_erased={self.exclude_erased})')


@TRANSFORMS.register_module()
class PackUDAInputs(PackSegInputs):
    """mmseg's PackSegInputs plus ``inputs_strong`` (from ``img_strong``) and
    the data sample's ``strong_visible`` (``PixelData``, from StrongView).

    Args:
        meta_keys (tuple): as PackSegInputs.
    """

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if 'img_strong' not in results:
            raise DataValidationError(
                f'PackUDAInputs: no strong view for {results.get("img_path")}; put '
                "dict(type='StrongView', ...) before it")
        strong = super().transform({'img': results['img_strong']})['inputs']
        if strong.shape != packed['inputs'].shape:
            raise DataValidationError(
                f'PackUDAInputs: weak view {tuple(packed["inputs"].shape)} and strong view '
                f'{tuple(strong.shape)} differ in shape ({results.get("img_path")})')
        packed['inputs_strong'] = strong
        visible = results.get('strong_visible')
        if visible is not None:
            packed['data_samples'].strong_visible = PixelData(
                data=torch.from_numpy(np.ascontiguousarray(visible))[None])
        return packed
