"""Class pixel frequencies of datasets and their relation to per-class IoU
(Fig. 2 of the pixel-level GAN augmentation paper), and the GAN's colour error."""
from __future__ import annotations

from typing import List, NamedTuple, Sequence

import numpy as np

from ganseg_mm.utils.errors import DataValidationError

#: How to get a metrics file with per-class IoU (mmseg's ``IoUMetric`` writes only
#: aAcc, mIoU and mAcc).
PER_CLASS_IOU_HINT = ('write it with tools/test.py CONFIG CHECKPOINT --metrics-out FILE '
                      '--cfg-options test_evaluator.type=PerClassIoUMetric')


def class_frequencies(image_pixels: np.ndarray) -> dict:
    """Pixel counts/frequencies and image counts per class of a dataset.

    Args:
        image_pixels (np.ndarray): ``[num_samples, num_classes]`` pixel counts
            per sample in dataset order, repeats included (a mixed dataset
            lists a sample as often as it samples it), as
            :func:`~ganseg_mm.datasets.class_stats.image_class_pixels` returns.
    """
    table = np.asarray(image_pixels, np.int64)
    if table.ndim != 2:
        raise ValueError(f'image_pixels must be [samples, classes], got shape {table.shape}')
    pixels = table.sum(0)
    total = max(int(pixels.sum()), 1)
    return dict(pixels=pixels.tolist(), frequency=(pixels / total).tolist(),
                images=(table > 0).sum(0).tolist(), num_images=len(table))


def iou_table(metrics: dict, class_names: Sequence[str], source: str = 'metrics JSON'
              ) -> List[float]:
    """Per-class IoU (NaN when absent/None) from a ``tools/test.py --metrics-out`` dict.

    Args:
        metrics (dict): The metrics, with one ``IoU.<class>`` key per class
            (``PerClassIoUMetric``).
        class_names (Sequence[str]): The dataset's classes, in order.
        source (str): The file the metrics come from, for error messages.
            Defaults to 'metrics JSON'.
    """
    if not isinstance(metrics, dict):
        raise DataValidationError(f'{source}: not a metrics dict (got {type(metrics).__name__})')
    keys = [f'IoU.{n}' for n in class_names]
    if not any(k in metrics for k in keys):
        other = sorted(k for k in metrics if k.startswith('IoU.'))
        if other:
            raise DataValidationError(
                f'{source}: its per-class IoU keys ({", ".join(other[:3])}, ...) name other '
                f'classes than the config\'s ({", ".join(class_names[:3])}, ...)')
        raise DataValidationError(
            f'{source}: no per-class IoU (IoU.<class> keys), only '
            f'{", ".join(sorted(metrics)) or "nothing"} (mmseg\'s IoUMetric writes no '
            f'per-class values); {PER_CLASS_IOU_HINT}')
    return [float('nan') if metrics.get(k) is None else float(metrics[k]) for k in keys]


class RankCorrelation(NamedTuple):
    """Result of :func:`rank_correlation`."""
    rho: float  # Spearman's rho; NaN when undefined
    n: int  # pairs where both values are finite
    note: str  # why rho is NaN; '' when it is defined


def rank_correlation(x: Sequence[float], y: Sequence[float],
                     names: Sequence[str] = ('x', 'y')) -> RankCorrelation:
    """Spearman correlation (``scipy.stats.spearmanr``: tied values get their
    average rank) over the pairs where both values are finite.

    Undefined (NaN, with a ``note`` saying why) for fewer than 3 such pairs or
    when either side is constant over them.

    Args:
        x (Sequence[float]): First variable.
        y (Sequence[float]): Second variable, as long as ``x``.
        names (Sequence[str]): What ``x`` and ``y`` are, for the note.
            Defaults to ('x', 'y').
    """
    from scipy.stats import spearmanr
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f'x and y must be 1-d of the same length, got {x.shape} and {y.shape}')
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    note = ''
    if n < 3:
        note = f'only {n} pairs with both values finite (needs 3)'
    else:
        constant = [name for name, v in zip(names, (x[ok], y[ok])) if np.ptp(v) == 0]
        if constant:
            note = f'{" and ".join(constant)} constant over the {n} pairs'
    if note:
        return RankCorrelation(float('nan'), n, note)
    return RankCorrelation(float(spearmanr(x[ok], y[ok]).statistic), n, '')


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
