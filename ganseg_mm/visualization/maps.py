"""Label maps and value maps as RGB pictures (numpy, uint8)."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np


def cityscapes_palette(num_classes: int) -> np.ndarray:
    """``(num_classes, 3)`` uint8 RGB: Cityscapes' colours, extended at random."""
    from mmseg.datasets import CityscapesDataset
    pal = list(CityscapesDataset.METAINFO['palette'])
    rng = np.random.default_rng(0)
    while len(pal) < num_classes:
        pal.append(rng.integers(0, 256, 3).tolist())
    return np.array(pal[:num_classes], np.uint8)


def label_to_colour(label: np.ndarray, palette: Sequence) -> np.ndarray:
    """``(..., H, W)`` class ids -> ``(..., H, W, 3)`` uint8 RGB.

    Ids outside the palette (the ignore id, padding) are black.
    """
    pal = np.concatenate([np.asarray(palette, np.uint8).reshape(-1, 3),
                          np.zeros((1, 3), np.uint8)])
    n = len(pal) - 1
    label = np.asarray(label)
    return pal[np.where((label >= 0) & (label < n), label, n)]


def value_to_colour(values: np.ndarray, vmax: float, vmin: float = 0.0) -> np.ndarray:
    """``(H, W)`` floats -> ``(H, W, 3)`` uint8 RGB, OpenCV's jet map on a fixed
    ``[vmin, vmax]`` range (fixed so pictures of different steps compare)."""
    scaled = np.clip((np.asarray(values, np.float64) - vmin) / (vmax - vmin), 0, 1)
    bgr = cv2.applyColorMap((scaled * 255).round().astype(np.uint8), cv2.COLORMAP_JET)
    return bgr[..., ::-1].copy()
