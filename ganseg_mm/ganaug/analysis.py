"""Class pixel frequencies of datasets and their relation to per-class IoU
(Fig. 2 of the pixel-level GAN augmentation paper), and the GAN's colour error."""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.labels import read_label


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


def gan_colour_error(gen, info: dict, files: Sequence[tuple], batch_size: int = 8,
                     device: str = 'cpu') -> dict:
    """Per-class mean-colour error (0-255, :class:`ClassColourError`) of the
    generator's renderings of the real label maps ``files`` ((img_path,
    seg_map_path) pairs) against the real images."""
    import cv2
    import torch

    from ganseg_mm.evaluation.colour_error import ClassColourError
    from ganseg_mm.utils.gan import make_condition, read_condition_inputs, to_uint8
    n = info['num_classes']
    err = ClassColourError(n)
    for i in range(0, len(files), batch_size):
        chunk = files[i:i + batch_size]
        maps = [read_condition_inputs(s, n, info['ignore_index']) for _, s in chunk]
        reals = [cv2.imread(p)[..., ::-1] for p, _ in chunk]  # RGB, as pix2pixHD renders
        for (_, s), (lab, _), real in zip(chunk, maps, reals):
            if real.shape[:2] != lab.shape:
                raise DataValidationError(f'{s}: label size {lab.shape} differs from its image')
        cond = make_condition(torch.as_tensor(np.stack([m[0] for m in maps])),
                              torch.as_tensor(np.stack([m[1] for m in maps])), n,
                              info['ignore_index'], info['use_instance']).to(device)
        with torch.no_grad():
            fake = to_uint8(gen(cond))
        err.update(np.stack([m[0] for m in maps]), np.stack(reals), fake)
    return err.compute()
