"""Helpers for tests that build and run real configs on tiny demo data."""
from mmengine.config import Config

SMALL_CROP = (128, 256)  # the demo image size; CEGU configs need >= 128 px


def _shrink_pipeline(pipeline):
    for t in pipeline:
        if t.get('type') in ('RandomResize', 'Resize'):
            t['scale'] = (256, 128)
        if t.get('type') == 'RandomCrop':
            t['crop_size'] = SMALL_CROP


def _datasets(ds):
    yield ds
    for key in ('dataset', 'datasets'):
        sub = ds.get(key)
        for d in (sub if isinstance(sub, (list, tuple)) else [sub] if sub else []):
            yield from _datasets(d)


def point_cfg_at_demo(cfg: Config, data_root: str, work_dir: str, iters: int = 2) -> Config:
    """Make any (full Cityscapes) config train ``iters`` iterations on ``data_root``.

    The model is kept as configured except for what cannot work here: ImageNet
    weights (no download) and the input size (CPU time).
    """
    root = data_root.rstrip('/') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        lc = cfg[loader]
        lc.num_workers = 0
        lc.persistent_workers = False
        if loader == 'train_dataloader':
            lc.batch_size = 2
        for ds in _datasets(lc.dataset):
            if 'data_root' in ds:
                ds.data_root = root
            if 'pipeline' in ds:
                _shrink_pipeline(ds.pipeline)
    # extra loaders of custom train loops (e.g. UDA's unlabeled_dataloader)
    for key, lc in (cfg.get('train_cfg') or {}).items():
        if key.endswith('dataloader') and isinstance(lc, dict):
            lc.num_workers = 0
            lc.persistent_workers = False
            for ds in _datasets(lc.dataset):
                if 'data_root' in ds:
                    ds.data_root = root
                if 'pipeline' in ds:
                    _shrink_pipeline(ds.pipeline)
    model = cfg.model
    model.pretrained = None
    if 'backbone' in model:
        model.backbone.init_cfg = None
    if 'data_preprocessor' in model:
        model.data_preprocessor.size = SMALL_CROP
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg
