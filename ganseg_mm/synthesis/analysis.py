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


def gan_colour_error(gen, info: dict, files: Sequence[tuple], batch_size: int = 8,
                     device: str = 'cpu') -> dict:
    """Per-class mean-colour error (0-255) of the generator's renderings of the
    real label maps ``files`` ((img_path, seg_map_path) pairs) against the real
    images: for each class, |mean RGB of fake - mean RGB of real| over its
    pixels of all images, averaged over the channels; plus the class mean."""
    import cv2
    import torch
    from ganseg_mm.models.editors.pix2pixhd.condition import instance_boundary, make_condition
    from .label_io import read_instances
    n = info['num_classes']
    sums = np.zeros((2, n, 3))
    counts = np.zeros(n)
    for i in range(0, len(files), batch_size):
        chunk = files[i:i + batch_size]
        labs = [read_label(s, n, info['ignore_index']) for _, s in chunk]
        reals = [cv2.imread(p)[..., ::-1].astype(np.float64) for p, _ in chunk]
        edges = []
        for (_, s), lab, real in zip(chunk, labs, reals):
            if real.shape[:2] != lab.shape:
                raise DataValidationError(f'{s}: label size {lab.shape} differs from its image')
            inst = read_instances(s, lab.shape)
            edges.append(instance_boundary(inst) if inst is not None else np.zeros_like(lab))
        cond = make_condition(torch.as_tensor(np.stack(labs)), torch.as_tensor(np.stack(edges)),
                              n, info['ignore_index'], info['use_instance']).to(device)
        with torch.no_grad():
            fake = ((gen(cond).permute(0, 2, 3, 1).cpu().numpy() + 1) * 127.5).clip(0, 255)
        for lab, real, f in zip(labs, reals, fake):
            for c in np.unique(lab):
                if c < n:
                    m = lab == c
                    sums[0, c] += f[m].sum(0)
                    sums[1, c] += real[m].sum(0)
                    counts[c] += m.sum()
    out = {}
    for c in range(n):
        if counts[c]:
            out[str(c)] = float(np.abs(sums[0, c] - sums[1, c]).mean() / counts[c])
    out['mean'] = float(np.mean(list(out.values()))) if out else float('nan')
    return out
