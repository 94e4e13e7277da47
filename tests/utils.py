"""Helpers for tests that build and run real configs on tiny demo data."""
import uuid

from mmengine.config import Config

from ganseg_mm.demo.config import point_cfg_at_data

SMALL_CROP = (128, 256)  # the demo image size; CEGU configs need >= 128 px


def point_cfg_at_demo(cfg: Config, data_root: str, work_dir: str, iters: int = 2) -> Config:
    """Make any (full Cityscapes) config train ``iters`` iterations on ``data_root``
    at the demo size, batch 2, logging every iteration.

    The visualizer gets a name of its own: mmseg names it ``'visualizer'`` and
    mmengine's registry hands back an existing instance of that name, so a
    second runner in one test process would write its pictures into the first
    runner's ``vis_data``.
    """
    point_cfg_at_data(cfg, data_root, SMALL_CROP, iters, work_dir)
    if cfg.get('visualizer') is not None:
        cfg.visualizer.name = f'visualizer_{uuid.uuid4().hex}'
    cfg.train_dataloader.batch_size = 2
    cfg.default_hooks.logger.interval = 1
    return cfg
