"""Latent files, annotation import (PNG masks, labelme polygons) and checks.

A samples directory (``tools/datasetgan/generate_samples.py``) holds
``latents.pt`` (W-space latents plus what generator they belong to),
``images/sample_XXXXX.png`` and ``grid.png``. Annotations are single-channel
PNGs ``sample_XXXXX.png`` of class ids (``ignore_index`` = unlabelled) of the
generator's output size; ``tools/datasetgan/import_annotations.py`` writes
them from PNG masks or labelme JSON files after checking them.
"""
from __future__ import annotations

import json
import os.path as osp

import cv2
import numpy as np
import torch

from ganseg_mm.datasets.errors import DataValidationError

LATENT_KEYS = ('w', 'out_size', 'style_channels', 'gan_config', 'gan_checkpoint', 'seed',
               'truncation')


def sample_name(i: int) -> str:
    return f'sample_{i:05d}'


def save_latents(path: str, info: dict) -> None:
    """Write a latent file atomically (``torch.save`` to a temporary, then move)."""
    import io

    from ganseg_mm.utils.io import _atomic_write_bytes
    missing = [k for k in LATENT_KEYS if k not in info]
    if missing:
        raise ValueError(f'latent info lacks {missing}')
    buf = io.BytesIO()
    torch.save(info, buf)
    _atomic_write_bytes(path, buf.getvalue())


def load_latents(path: str, style_channels: int | None = None,
                 out_size: int | None = None) -> dict:
    """Read a latent file; check it matches a generator's ``style_channels``
    and ``out_size`` when given (DataValidationError otherwise)."""
    if not osp.isfile(path):
        raise DataValidationError(f'{path}: latent file not found')
    try:
        info = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as e:  # noqa: BLE001 (corrupt file: any unpickling error)
        raise DataValidationError(f'{path}: not a latent file ({e})') from e
    if not isinstance(info, dict) or any(k not in info for k in LATENT_KEYS):
        raise DataValidationError(f'{path}: not a latent file (needs keys {LATENT_KEYS})')
    w = info['w']
    if not torch.is_tensor(w) or w.dim() != 2:
        raise DataValidationError(f'{path}: latents must be (N, style_channels)')
    if style_channels is not None and w.shape[1] != style_channels:
        raise DataValidationError(
            f'{path}: latents have {w.shape[1]} channels but the generator takes '
            f'style_channels={style_channels} (made by {info["gan_config"]})')
    if out_size is not None and info['out_size'] != out_size:
        raise DataValidationError(
            f'{path}: latents were made for a {info["out_size"]} px generator, this one '
            f'is {out_size} px (made by {info["gan_config"]})')
    return info


def check_mask(mask: np.ndarray, size: int, num_classes: int, ignore_index: int = 255,
               source: str = 'mask') -> np.ndarray:
    """Return ``mask`` as uint8 after checking its size and class ids."""
    if mask.ndim != 2 or mask.shape != (size, size):
        raise DataValidationError(f'{source}: annotation is {mask.shape[1::-1]} (w, h), the '
                                  f'generated images are {size}x{size}')
    ids = np.unique(mask)
    bad = [int(i) for i in ids if i != ignore_index and not 0 <= i < num_classes]
    if bad:
        raise DataValidationError(f'{source}: unknown class ids {bad[:10]} (valid: 0..'
                                  f'{num_classes - 1} and {ignore_index} = unlabelled)')
    return mask.astype(np.uint8)


def read_png_mask(path: str) -> np.ndarray:
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise DataValidationError(f'{path}: not a readable image')
    if mask.ndim == 3:
        raise DataValidationError(f'{path}: annotation must be single-channel class ids, '
                                  f'got {mask.shape[2]} channels')
    return mask


def labelme_to_mask(path: str, classes, ignore_index: int = 255) -> np.ndarray:
    """Rasterize a labelme JSON (polygons/rectangles, drawn in file order)."""
    try:
        with open(path) as f:
            data = json.load(f)
        h, w, shapes = int(data['imageHeight']), int(data['imageWidth']), data['shapes']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataValidationError(f'{path}: not a labelme JSON file ({e})') from e
    names = {c: i for i, c in enumerate(classes)}
    mask = np.full((h, w), ignore_index, np.uint8)
    for s in shapes:
        label = str(s.get('label', ''))
        cid = names.get(label, int(label) if label.isdigit() else None)
        if cid is None or not 0 <= cid < len(classes):
            raise DataValidationError(f'{path}: unknown class label {label!r} (known: '
                                      f'{", ".join(classes)})')
        pts = np.asarray(s.get('points', []), np.float32)
        if s.get('shape_type', 'polygon') == 'rectangle' and len(pts) == 2:
            (x0, y0), (x1, y1) = pts
            pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        if pts.ndim != 2 or len(pts) < 3:
            raise DataValidationError(f'{path}: shape {label!r} needs >= 3 points')
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], int(cid))
    return mask
