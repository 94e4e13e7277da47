"""Helpers for tests that build and run real configs on tiny demo data."""
from mmengine.config import Config

from ganseg_mm.demo.config import point_cfg_at_data

SMALL_CROP = (128, 256)  # the demo image size; CEGU configs need >= 128 px


def point_cfg_at_demo(cfg: Config, data_root: str, work_dir: str, iters: int = 2) -> Config:
    """Make any (full Cityscapes) config train ``iters`` iterations on ``data_root``
    at the demo size, batch 2, logging every iteration."""
    point_cfg_at_data(cfg, data_root, SMALL_CROP, iters, work_dir)
    cfg.train_dataloader.batch_size = 2
    cfg.default_hooks.logger.interval = 1
    return cfg
