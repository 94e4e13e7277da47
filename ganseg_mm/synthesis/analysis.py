"""Class pixel frequencies of datasets and their relation to per-class IoU (seed 000 Fig. 2)."""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

from ganseg_mm.datasets.errors import DataValidationError
from .label_io import read_label


def class_frequencies(seg_paths: Sequence[str], num_classes: int,
                      ignore_index: int = 255, progress: bool = True) -> dict:
    """Pixel counts/frequencies and image counts per class over ``seg_paths``
    (repeated paths count every time, as a mixed dataset samples them)."""
    cache: Dict[str, np.ndarray] = {}
    pixels = np.zeros(num_classes, np.int64)
    images = np.zeros(num_classes, np.int64)
    from mmengine.utils import ProgressBar
    bar = ProgressBar(len(seg_paths)) if progress and seg_paths else None
    for p in seg_paths:
        if p not in cache:
            lab = read_label(p, num_classes, ignore_index)
            cache[p] = np.bincount(lab.ravel(), minlength=256)[:num_classes]
        pixels += cache[p]
        images += cache[p] > 0
        if bar:
            bar.update()
    if bar:
        print()
    total = max(int(pixels.sum()), 1)
    return dict(pixels=pixels.tolist(), frequency=(pixels / total).tolist(),
                images=images.tolist(), num_images=len(seg_paths))


def iou_table(metrics: dict, class_names: Sequence[str]) -> List[float]:
    """Per-class IoU (NaN when absent/None) from a ``tools/test.py --metrics-out`` dict."""
    keys = [f'IoU.{n}' for n in class_names]
    if not any(k in metrics for k in keys):
        raise DataValidationError('metrics JSON has no IoU.<class> keys (write it with '
                                  'tools/test.py --metrics-out and PerClassIoUMetric)')
    return [float('nan') if metrics.get(k) is None else float(metrics[k]) for k in keys]


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman correlation over pairs where both are finite."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float('nan')
    rx = np.argsort(np.argsort(x[ok])).astype(float)
    ry = np.argsort(np.argsort(y[ok])).astype(float)
    return float(np.corrcoef(rx, ry)[0, 1])
