"""Label alignment of a synthesized set: does each rendered image show the
label map it was rendered from?

A trained segmenter predicts on every synthetic image; its per-class IoU
against the composed label map is the image's alignment. An image the GAN
rendered convincingly scores like a real one; a class the GAN cannot draw
scores near 0 wherever it was pasted. This is the check DatasetGAN makes with
its ensemble's uncertainty (it drops the most uncertain 10 % of its
generated images) applied to a label-to-image GAN, whose labels are given and
whose images are in doubt. ``GANAugmentedDataset(min_alignment=...,
drop_worst=...)`` trains only on the images that pass.

``alignment.json`` (beside the set's ``manifest.json``, which stays as
synthesis wrote it): the segmenter's config and checkpoint digest, per image
its score (mean IoU over the classes in its label map or prediction) and
per-class IoU, and per class the IoU over the whole set (summed intersections
over summed unions) and the number of images holding it.
``alignment_per_class.png`` plots the per-class IoU and the score histogram.
Written atomically; a rerun recomputes it (scoring costs one segmenter
forward per image, a fraction of synthesis).
"""
from __future__ import annotations

import json
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.io import atomic_write_bytes, atomic_write_text
from ganseg_mm.utils.labels import read_label
from .compose_set import LABEL_SUFFIX, label_dir
from .renderer import MANIFEST

ALIGNMENT = 'alignment.json'
ALIGNMENT_PLOT = 'alignment_per_class.png'


def intersect_union(pred: np.ndarray, label: np.ndarray, num_classes: int,
                    ignore_index: int = 255) -> tuple:
    """Per-class (intersection, union) pixel counts of one prediction against
    its label map, by mmseg's ``IoUMetric.intersect_and_union`` (pixels whose
    label is ``ignore_index`` are left out)."""
    import torch
    from mmseg.evaluation import IoUMetric
    inter, union, _, _ = IoUMetric.intersect_and_union(
        torch.from_numpy(np.asarray(pred).astype(np.int64)),
        torch.from_numpy(np.asarray(label).astype(np.int64)), num_classes, ignore_index)
    return inter.numpy().astype(np.int64), union.numpy().astype(np.int64)


def image_score(inter: np.ndarray, union: np.ndarray) -> Optional[float]:
    """Mean IoU over the classes present in the label or the prediction (None
    for an image with nothing to compare)."""
    present = union > 0
    return float((inter[present] / union[present]).mean()) if present.any() else None


def read_manifest(root: str) -> dict:
    path = osp.join(root, MANIFEST)
    if not osp.isfile(path):
        raise DataValidationError(f'{path}: missing; the synthetic set is incomplete '
                                  '(run tools/ganaug/synthesize.py)')
    with open(path) as f:
        return json.load(f)


def score_alignment(root: str, model, class_names: Sequence[str], ignore_index: int = 255,
                    batch_size: int = 4, segmenter: Optional[dict] = None,
                    progress: bool = True) -> dict:
    """Score every image of the complete synthetic set ``root`` with ``model``
    (an mmseg segmenter for ``mmseg.apis.inference_model``, e.g. from
    :func:`ganseg_mm.utils.gan.load_segmenter`); writes and returns
    ``alignment.json`` and writes ``alignment_per_class.png``.

    Args:
        root (str): The synthetic set (``manifest.json`` must exist).
        model: The segmenter, in eval mode.
        class_names (Sequence[str]): The classes of the label maps.
        ignore_index (int): Label id left out of the scores. Defaults to 255.
        batch_size (int): Images per ``inference_model`` call. Defaults to 4.
        segmenter (dict, optional): What to record about the segmenter
            (config, checkpoint digest). Defaults to None.
        progress (bool): Show mmengine's progress bar. Defaults to True.
    """
    from mmengine.utils import ProgressBar
    from mmseg.apis import inference_model
    man = read_manifest(root)
    split, n = man['split'], len(class_names)
    images = man['images']
    inter_sum, union_sum = np.zeros(n, np.int64), np.zeros(n, np.int64)
    holding = np.zeros(n, np.int64)
    rows = []
    bar = ProgressBar(len(images)) if progress and images else None
    for i in range(0, len(images), batch_size):
        chunk = images[i:i + batch_size]
        paths = [osp.join(root, im['img']) for im in chunk]
        for p in paths:
            if not osp.isfile(p):
                raise DataValidationError(f'{p}: synthetic image missing')
        preds = inference_model(model, paths)
        preds = preds if isinstance(preds, list) else [preds]
        for im, pred in zip(chunk, preds):
            lp = osp.join(label_dir(root, split), im['name'] + LABEL_SUFFIX)
            label = read_label(lp, n, ignore_index)
            p = pred.pred_sem_seg.data[0].cpu().numpy()
            if p.shape != label.shape:
                raise DataValidationError(f'{lp}: prediction {p.shape} and label '
                                          f'{label.shape} differ in size')
            inter, union = intersect_union(p, label, n, ignore_index)
            inter_sum += inter
            union_sum += union
            holding += np.bincount(label[label != ignore_index], minlength=n)[:n] > 0
            rows.append(dict(name=im['name'], score=image_score(inter, union),
                             iou={str(c): float(inter[c] / union[c])
                                  for c in np.flatnonzero(union)}))
            if bar:
                bar.update()
    if bar:
        print()
    per_class = {str(c): dict(name=class_names[c], images=int(holding[c]),
                              iou=float(inter_sum[c] / union_sum[c]) if union_sum[c]
                              else None) for c in range(n)}
    scores = [r['score'] for r in rows if r['score'] is not None]
    out = dict(segmenter=segmenter or {}, split=split, classes=list(class_names),
               score_mean=float(np.mean(scores)) if scores else None,
               per_class=per_class, images=rows)
    atomic_write_text(osp.join(root, ALIGNMENT), json.dumps(out, indent=1))
    plot_alignment(osp.join(root, ALIGNMENT_PLOT), out)
    return out


def plot_alignment(path: str, alignment: dict) -> None:
    """Per-class IoU over the set (classes absent from it left out) beside the
    histogram of per-image scores."""
    import io

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cls = [v for v in alignment['per_class'].values() if v['iou'] is not None]
    scores = [r['score'] for r in alignment['images'] if r['score'] is not None]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), dpi=110,
                               gridspec_kw=dict(width_ratios=[2, 1]))
    a.barh([f'{v["name"]} ({v["images"]})' for v in cls], [100 * v['iou'] for v in cls],
           color='tab:blue')
    a.invert_yaxis()
    a.set_xlim(0, 100)
    a.set_xlabel('IoU of the segmenter on the synthetic images (%)')
    a.set_title('per class (images holding it)', fontsize=9)
    b.hist([100 * s for s in scores], bins=20, range=(0, 100), color='tab:gray')
    b.set_xlabel('image score: mIoU (%)')
    b.set_title(f'{len(scores)} images', fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def kept_images(alignment: dict, min_score: Optional[float] = None,
                drop_worst: float = 0.0) -> set:
    """Names of the images that pass: score >= ``min_score`` (0-1) and not in
    the ``drop_worst`` fraction of lowest scores (ties broken by name, so the
    choice is fixed). An image without a score (nothing to compare) fails
    either test."""
    if not 0 <= drop_worst < 1:
        raise ValueError(f'drop_worst must be in [0, 1), got {drop_worst}')
    rows = sorted(alignment['images'], key=lambda r: (
        -np.inf if r['score'] is None else r['score'], r['name']))
    rows = rows[int(np.floor(drop_worst * len(rows))):]
    return {r['name'] for r in rows
            if r['score'] is not None and (min_score is None or r['score'] >= min_score)}
