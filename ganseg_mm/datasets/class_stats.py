"""Pixels of each class in each label map of an mmseg dataset, read once.

Used by rare-class sampling (:class:`RareClassSamplingDataset`) and by the
comparison's rare-class marking. Label maps are read by mmseg's
``LoadAnnotations`` (its ``reduce_zero_label`` and ``label_map``), without the
rest of the pipeline. A dataset wrapper that knows its samples' statistics better (the
synthetic part of :class:`GANAugmentedDataset` comes with a manifest) provides
``image_class_pixels(cache_dir, progress)`` itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import os.path as osp
import warnings
from typing import Optional

import numpy as np

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.io import atomic_write_text
from .transforms.loading import CheckedLoadAnnotations


def image_class_pixels(dataset, cache_dir: Optional[str] = None,
                       progress: bool = False) -> np.ndarray:
    """``[len(dataset), num_classes]`` int64 pixel counts, in dataset order.

    Args:
        dataset: An mmseg dataset or a wrapper (``get_data_info``, ``metainfo``).
        cache_dir (str, optional): Folder of cache files named by a hash of the
            classes and of every label file's path, size and mtime, so a
            changed file list or a rewritten label is read again. None reads
            every time. Defaults to None.
        progress (bool): Show a progress bar while reading. Defaults to False.
    """
    if hasattr(dataset, 'image_class_pixels'):
        return dataset.image_class_pixels(cache_dir, progress)
    dataset.full_init() if hasattr(dataset, 'full_init') else None
    classes = list(dataset.metainfo['classes'])
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not infos:
        raise DataValidationError('the dataset is empty: no class statistics')
    reading = {}  # one read per distinct (file, label conversion), however often listed
    for info in infos:
        reading.setdefault(_read_key(info), info)
    keys = sorted(reading)
    files = []
    for k in keys:
        path = reading[k]['seg_map_path']
        try:
            st = os.stat(path)
        except OSError:
            raise DataValidationError(f'{path}: label map missing') from None
        files.append([k, st.st_size, st.st_mtime_ns])
    fingerprint = hashlib.sha256(json.dumps([classes] + files).encode()).hexdigest()
    cache = osp.join(cache_dir, f'class_pixels_{fingerprint[:20]}.json') if cache_dir else None
    rows = None
    if cache and osp.isfile(cache):
        try:
            with open(cache) as f:
                stored = json.load(f)
            if stored.get('fingerprint') == fingerprint:
                rows = stored['pixels']
        except (OSError, ValueError, AttributeError):  # unreadable: count again
            rows = None
    if rows is None:
        bar = None
        if progress:
            from mmengine.utils import ProgressBar
            print('counting class pixels of the label maps (once; cached)', flush=True)
            bar = ProgressBar(len(keys))
        rows = {}
        for k in keys:
            rows[k] = _count(reading[k], len(classes)).tolist()
            bar.update() if bar else None
        if cache:
            try:
                atomic_write_text(cache, json.dumps(dict(fingerprint=fingerprint,
                                                         classes=classes, pixels=rows)))
            except OSError as e:  # a read-only cache folder costs a recount, not the run
                warnings.warn(f'class statistics not cached in {cache}: {e}')
    table = np.array([rows[_read_key(i)] for i in infos], np.int64)
    return table.reshape(len(infos), len(classes))


def _read_key(info: dict) -> str:
    label_map = sorted((int(a), int(b)) for a, b in (info.get('label_map') or {}).items())
    return json.dumps([info['seg_map_path'], bool(info.get('reduce_zero_label')), label_map])


def _count(info: dict, num_classes: int) -> np.ndarray:
    # mmseg's own label conversion; an unreadable file -> DataValidationError naming it
    seg = CheckedLoadAnnotations()(dict(info, seg_fields=[]))['gt_seg_map'].astype(np.int64)
    return np.bincount(seg[(seg >= 0) & (seg < num_classes)], minlength=num_classes)
