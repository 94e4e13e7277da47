"""The label files of any mmseg dataset config (file lists, split configs), read
without pipelines: used by the GAN-augmentation tools and the comparison."""
from __future__ import annotations

import copy
from typing import List, Optional, Tuple

from ganseg_mm.utils.errors import DataValidationError


def dataset_from_cfg(dataset_cfg: dict):
    """Build an mmseg dataset without its pipeline (only file lists are needed)."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import DATASETS
    cfg = copy.deepcopy(dict(dataset_cfg))
    _strip_pipelines(cfg)
    with DefaultScope.overwrite_default_scope('mmseg'):  # leaves the caller's scope
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


def split_dataset(config: str, split: str, cfg_options: Optional[dict] = None) -> tuple:
    """(dataset, dataset config) of a config's ``<split>_dataloader``: paths
    checked, no pipeline, fully initialised, not empty."""
    from mmengine.config import Config

    from ganseg_mm.datasets.checks import check_dataset_cfg
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    ds_cfg = split_cfg(cfg, split)
    check_dataset_cfg(ds_cfg, f'{split}_dataloader.dataset')
    ds = dataset_from_cfg(ds_cfg)
    if hasattr(ds, 'full_init'):
        ds.full_init()
    if len(ds) == 0:
        raise DataValidationError(f'{config}: the {split} split is empty')
    return ds, ds_cfg


def dataset_files(config: str, split: str, cfg_options: Optional[dict] = None) -> tuple:
    """((img_path, seg_map_path) list, class names, ignore index) of a config's split."""
    ds, ds_cfg = split_dataset(config, split, cfg_options)
    return label_files(ds), list(ds.metainfo['classes']), int(ds_cfg.get('ignore_index', 255))
