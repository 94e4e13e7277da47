"""UDA train loop: a labeled and an unlabeled batch every iteration."""
from __future__ import annotations

import copy
import logging
from typing import Dict, List, Optional, Tuple, Union

from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import DataLoader

from ganseg_mm.utils.errors import ConfigError, DataValidationError


class _InfiniteIterator:
    """Restarts a dataloader when it is exhausted, advancing its sampler's
    epoch, as mmengine's IterBasedTrainLoop does for the labeled loader (its
    class for that, ``_InfiniteDataloaderIterator``, is private)."""

    def __init__(self, dataloader: DataLoader):
        self.dataloader, self.epoch = dataloader, 0
        self.iterator = iter(dataloader)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self.iterator)
        except StopIteration:
            self.epoch += 1
            sampler = getattr(self.dataloader, 'sampler', None)
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(self.epoch)
            self.iterator = iter(self.dataloader)
            return next(self.iterator)


class PairedIterator:
    """Yields ``dict(sup=labeled batch, unsup=unlabeled batch)``. Installed as
    the loop's ``dataloader_iterator``, so IterBasedTrainLoop's own ``run()``
    draws both every iteration and, on ``--resume``, skips both by the finished
    iterations."""

    def __init__(self, labeled, unlabeled):
        self.labeled, self.unlabeled = labeled, unlabeled

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        return dict(sup=next(self.labeled), unsup=next(self.unlabeled))


def _image_paths(dataset) -> List[str]:
    return [dataset.get_data_info(i).get('img_path', '') for i in range(len(dataset))]


@LOOPS.register_module()
class UDAIterBasedTrainLoop(IterBasedTrainLoop):
    """IterBasedTrainLoop that feeds ``dict(sup=labeled, unsup=unlabeled)`` batches.

    Each iteration draws one labeled batch (``train_dataloader``) and one
    unlabeled batch of ``unsup_ratio`` times as many images. On ``--resume``
    both sources are advanced by the finished iterations (mmengine's own
    strategy, which skips ``dataloader_iterator``: here a
    :class:`PairedIterator`), so the samplers and the workers' random
    augmentation continue exactly where the interrupted run was. Only
    ``__init__`` differs from mmengine's loop.

    Args:
        runner (Runner): the runner.
        dataloader (dict | DataLoader): the labeled dataloader.
        unlabeled_dataloader (dict | DataLoader): the unlabeled dataloader
            (e.g. an ``UnlabeledDataset`` whose pipeline ends with
            ``StrongView`` and ``PackUDAInputs``). Its ``batch_size`` is set to
            ``unsup_ratio`` x the labeled batch size when left out.
        max_iters (int): training iterations.
        unsup_ratio (int): unlabeled images per labeled image. Defaults to 1.
        allow_overlap (bool): if False, an image that is in both sets is an
            error; if True, a warning. Defaults to False.
        val_begin (int): as IterBasedTrainLoop. Defaults to 1.
        val_interval (int): as IterBasedTrainLoop. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): as IterBasedTrainLoop.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 unlabeled_dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 unsup_ratio: int = 1,
                 allow_overlap: bool = False,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        if int(unsup_ratio) != unsup_ratio or unsup_ratio < 1:
            raise ConfigError(f'unsup_ratio must be a positive integer, got {unsup_ratio}')
        super().__init__(runner, dataloader, max_iters, val_begin, val_interval,
                         dynamic_intervals)
        self.unsup_ratio = int(unsup_ratio)
        if isinstance(unlabeled_dataloader, dict):
            cfg = copy.deepcopy(unlabeled_dataloader)
            batch_size = self.dataloader.batch_size * self.unsup_ratio
            if cfg.setdefault('batch_size', batch_size) != batch_size:
                raise ConfigError(
                    f'unlabeled_dataloader.batch_size={cfg["batch_size"]} disagrees with '
                    f'unsup_ratio={unsup_ratio} x labeled batch size '
                    f'{self.dataloader.batch_size}; leave it out')
            randomness = runner.cfg.get('randomness') or {}
            unlabeled_dataloader = runner.build_dataloader(
                cfg, seed=runner.seed, diff_rank_seed=randomness.get('diff_rank_seed', False))
        self.unlabeled_dataloader = unlabeled_dataloader
        self._check_sources(allow_overlap)
        self.unlabeled_iterator = _InfiniteIterator(self.unlabeled_dataloader)
        # mmengine's run() then draws, and on resume skips, both sources
        self.dataloader_iterator = PairedIterator(self.dataloader_iterator,
                                                  self.unlabeled_iterator)

    def _check_sources(self, allow_overlap: bool) -> None:
        unlabeled = self.unlabeled_dataloader.dataset
        if len(unlabeled) == 0:
            raise DataValidationError('train_cfg.unlabeled_dataloader: the unlabeled set is '
                                      'empty')
        try:
            labeled_paths = set(_image_paths(self.dataloader.dataset))
            overlap = sorted(labeled_paths.intersection(_image_paths(unlabeled)))
        except (AttributeError, KeyError, TypeError):
            return  # a dataset without get_data_info/img_path: nothing to compare
        if not overlap:
            return
        msg = (f'{len(overlap)} image(s) are in both the labeled and the unlabeled set, '
               f'e.g. {overlap[0]!r}')
        if not allow_overlap:
            raise DataValidationError(
                msg + '; use the disjoint split files of tools/make_splits.py, or set '
                'train_cfg.allow_overlap=True to train on them anyway')
        print_log(msg + ' (allow_overlap=True)', logger='current', level=logging.WARNING)
