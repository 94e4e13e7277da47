"""Pointing any config (Cityscapes-scale included) at small data on disk.

One helper for the tests (every config trained for two iterations), the
benchmarks (train steps at a chosen size) and the demo tools.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple


def dataloaders(cfg) -> Iterator[dict]:
    """The train/val/test dataloaders and a custom loop's extra ones
    (``train_cfg.*dataloader``, e.g. UDA's unlabeled loader)."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            yield cfg[name]
    for key, value in (cfg.get('train_cfg') or {}).items():
        if key.endswith('dataloader') and isinstance(value, dict):
            yield value


def datasets(ds: dict) -> Iterator[dict]:
    """A dataset config and every dataset it wraps (``dataset``/``datasets``)."""
    yield ds
    for key in ('dataset', 'datasets'):
        sub = ds.get(key)
        for d in (sub if isinstance(sub, (list, tuple)) else [sub] if sub else []):
            yield from datasets(d)


def shrink_pipeline(pipeline, size: Tuple[int, int], jitter: bool = True) -> None:
    """Resize/crop steps of ``pipeline`` to images of ``size`` (h, w); without
    ``jitter`` the random rescaling is fixed at 1 (steady benchmark steps)."""
    for t in pipeline:
        if t.get('type') in ('RandomResize', 'Resize'):
            t['scale'] = (size[1], size[0])
            if not jitter and 'ratio_range' in t:
                t['ratio_range'] = (1.0, 1.0)
        if t.get('type') == 'RandomCrop':
            t['crop_size'] = tuple(size)


def point_cfg_at_data(cfg, data_root: str, size: Tuple[int, int], iters: int,
                      work_dir: Optional[str] = None, jitter: bool = True):
    """Make ``cfg`` train ``iters`` iterations on ``data_root`` at ``size``.

    Every dataset with a ``data_root`` reads ``data_root``; loaders run in the
    main process; ImageNet weights are dropped (nothing can be downloaded);
    validation and the checkpoint come at the last iteration. The model is
    otherwise kept as configured.
    """
    root = data_root.rstrip('/') + '/'
    for loader in dataloaders(cfg):
        loader['num_workers'] = 0
        loader['persistent_workers'] = False
        for ds in datasets(loader['dataset']):
            if 'data_root' in ds:
                ds['data_root'] = root
            if ds.get('pipeline'):
                shrink_pipeline(ds['pipeline'], size, jitter)
    model = cfg.model
    model.pretrained = None
    if 'backbone' in model:
        model.backbone.init_cfg = None
    if 'data_preprocessor' in model:
        model.data_preprocessor.size = tuple(size)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.default_hooks.checkpoint.interval = iters
    if work_dir is not None:
        cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg
