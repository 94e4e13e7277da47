"""Reading label maps of any mmseg dataset config, with the project's data checks."""
from __future__ import annotations

import copy
import os.path as osp
from typing import List, Optional, Tuple

import cv2
import numpy as np

from ganseg_mm.datasets.errors import DataValidationError

INSTANCE_SUFFIX = '_gtFine_instanceIds.png'


def read_label(path: str, num_classes: int, ignore_index: int = 255) -> np.ndarray:
    """uint8 trainId map; corrupt files and ids outside the class range raise."""
    lab = cv2.imread(path, cv2.IMREAD_UNCHANGED) if osp.isfile(path) else None
    if lab is None:
        raise DataValidationError(f'{path}: missing or not a readable PNG')
    if lab.ndim != 2:
        raise DataValidationError(f'{path}: label map must have one channel, '
                                  f'got shape {lab.shape}')
    ids = np.flatnonzero(np.bincount(lab.ravel().astype(np.int64)))
    bad = [int(i) for i in ids if i >= num_classes and i != ignore_index]
    if bad:
        raise DataValidationError(f'{path}: label ids {bad[:5]} outside [0, {num_classes}) '
                                  f'and not ignore ({ignore_index})')
    return lab.astype(np.uint8)


def instance_path(seg_map_path: str) -> Optional[str]:
    """The Cityscapes instanceIds file next to a label map, or None."""
    for suffix in ('_gtFine_labelTrainIds.png', '_gtFine_labelIds.png'):
        if seg_map_path.endswith(suffix):
            p = seg_map_path[:-len(suffix)] + INSTANCE_SUFFIX
            return p if osp.isfile(p) else None
    return None


def read_instances(seg_map_path: str, shape) -> Optional[np.ndarray]:
    p = instance_path(seg_map_path)
    if p is None:
        return None
    inst = cv2.imread(p, cv2.IMREAD_UNCHANGED)
    if inst is None:
        raise DataValidationError(f'{p}: not a readable PNG')
    if inst.shape[:2] != tuple(shape[:2]):
        raise DataValidationError(f'{p}: size {inst.shape[:2]} differs from label '
                                  f'{tuple(shape[:2])}')
    return inst.astype(np.int32)


def dataset_from_cfg(dataset_cfg: dict):
    """Build an mmseg dataset without its pipeline (only file lists are needed)."""
    import ganseg_mm  # noqa: F401  (registers)
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = copy.deepcopy(dict(dataset_cfg))
    _strip_pipelines(cfg)
    return DATASETS.build(cfg)


def _strip_pipelines(cfg: dict) -> None:
    if 'pipeline' in cfg:
        cfg['pipeline'] = []
    for key in ('dataset', 'synthetic'):
        if isinstance(cfg.get(key), dict):
            _strip_pipelines(cfg[key])
    if isinstance(cfg.get('datasets'), (list, tuple)):
        for d in cfg['datasets']:
            _strip_pipelines(d)


def label_files(dataset) -> List[Tuple[str, str]]:
    """(img_path, seg_map_path) of every sample, in dataset order (with repeats)."""
    dataset.full_init() if hasattr(dataset, 'full_init') else None
    out = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        out.append((info.get('img_path', ''), info['seg_map_path']))
    return out


def split_cfg(cfg, split: str) -> dict:
    """``cfg.<split>_dataloader.dataset`` of a loaded mmengine Config."""
    key = f'{split}_dataloader'
    if key not in cfg or cfg[key] is None:
        raise DataValidationError(f'config has no {key}')
    return cfg[key]['dataset']
