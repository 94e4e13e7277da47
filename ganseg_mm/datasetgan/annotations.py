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

from ganseg_mm.datasets.datasetgan_annotation_dataset import LATENT_KEYS
from ganseg_mm.utils.errors import DataValidationError


def annotation_classes(classes=None, config: str | None = None) -> tuple:
    """``(class names, ignore index or None)`` the annotations are checked against.

    There is no default class set: it is the interpreter's, so it comes from
    the interpreter ``config`` (its ``train_dataloader.dataset``: ``classes``
    and ``ignore_index``), or from ``classes``: names in id order, or
    ``['cityscapes']`` for the 19 Cityscapes trainIds. Exactly one is given.
    """
    if (classes is None) == (config is None):
        raise ValueError('give exactly one of classes and config')
    if classes is not None:
        if list(classes) == ['cityscapes']:
            from mmseg.datasets import CityscapesDataset
            return list(CityscapesDataset.METAINFO['classes']), None
        return list(classes), None
    if not osp.isfile(config):
        raise DataValidationError(f'{config}: interpreter config not found')
    from mmengine.config import Config
    dataset = (Config.fromfile(config).get('train_dataloader') or {}).get('dataset') or {}
    if not dataset.get('classes'):
        raise DataValidationError(f'{config}: train_dataloader.dataset has no classes '
                                  '(the annotation classes)')
    return list(dataset['classes']), dataset.get('ignore_index')


def save_latents(path: str, info: dict) -> None:
    """Write a latent file atomically (``torch.save`` to a temporary, then move)."""
    import io

    from ganseg_mm.utils.io import atomic_write_bytes
    missing = [k for k in LATENT_KEYS if k not in info]
    if missing:
        raise ValueError(f'latent info lacks {missing}')
    buf = io.BytesIO()
    torch.save(info, buf)
    atomic_write_bytes(path, buf.getvalue())


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
