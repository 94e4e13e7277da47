"""Saves label | real | fake grids during pix2pixHD training and logs the per-class
colour error (registered in mmagic's HOOKS: it runs inside mmagic's GAN training)."""
from __future__ import annotations

import json
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmagic.registry import HOOKS

from ganseg_mm.evaluation.colour_error import ClassColourError
from ganseg_mm.utils.errors import ConfigError
from ganseg_mm.utils.gan import to_uint8
from ganseg_mm.utils.io import atomic_write_png, atomic_write_text
from ganseg_mm.visualization import cityscapes_palette, label_to_colour


@HOOKS.register_module()
class Pix2PixHDSampleGridHook(Hook):
    """Before training (iteration 0, the untrained generator), every ``interval``
    iterations and after the last, renders the first
    ``num_samples`` training samples and writes ``<work_dir>/samples/iter_N.png``
    (rows: label colours | real | fake) and ``iter_N.json`` with the per-class
    mean-colour error of fake vs real, which is also logged as ``colour_err``.

    Args:
        interval (int): Iterations between grids. Defaults to 100.
        num_samples (int): Rows of the grid. Defaults to 4.
        out_dir (str, optional): Output folder. Defaults to ``<work_dir>/samples``.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 100, num_samples: int = 4, out_dir: Optional[str] = None):
        if interval < 1 or num_samples < 1:
            raise ConfigError(f'interval and num_samples must be >= 1, got {interval}, '
                              f'{num_samples}')
        self.interval, self.num_samples, self.out_dir = interval, num_samples, out_dir
        self._batch = None

    def before_train(self, runner) -> None:
        ds = runner.train_dataloader.dataset
        n = min(self.num_samples, len(ds))
        self._batch = pseudo_collate([ds[i] for i in range(n)])
        self.out_dir = self.out_dir or osp.join(runner.work_dir, 'samples')
        if runner.iter == 0:
            self.save_grid(runner, 0)  # the untrained generator, for comparison

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval) or self.is_last_train_iter(runner):
            self.save_grid(runner, runner.iter + 1)

    @torch.no_grad()
    def save_grid(self, runner, it: int) -> Optional[dict]:
        if not is_main_process():  # every rank holds the same generator
            return None
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        data = model.data_preprocessor(self._batch)
        fake = model.generate(data['inputs']['cond'])
        model.train(was_training)
        real, fake = to_uint8(data['inputs']['img']), to_uint8(fake)
        label = data['inputs']['label'].cpu().numpy()
        gen = model.generator.module if is_model_wrapper(model.generator) else model.generator
        nc = gen.num_classes  # MMSeparateDistributedDataParallel wraps each network
        colour = label_to_colour(label, cityscapes_palette(nc))
        rows = [np.concatenate([c, r, f], 1) for c, r, f in zip(colour, real, fake)]
        grid = np.concatenate(rows, 0)
        atomic_write_png(osp.join(self.out_dir, f'iter_{it}.png'), grid[..., ::-1])
        err = ClassColourError(nc)
        err.update(label, real, fake)
        err = err.compute()
        atomic_write_text(osp.join(self.out_dir, f'iter_{it}.json'), json.dumps(err, indent=1))
        runner.message_hub.update_scalar('train/colour_err', err['mean'])
        runner.logger.info(f'sample grid iter {it}: per-class mean-colour error '
                           f'{err["mean"]:.1f} (0-255) -> {self.out_dir}')
        return err
