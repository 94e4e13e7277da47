"""UDA train loop: a labeled and an unlabeled batch every iteration."""
from __future__ import annotations

import copy
import logging
from typing import Dict, List, Optional, Tuple, Union

from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import DataLoader

from ganseg_mm.datasets.errors import DataValidationError


def _image_paths(dataset) -> List[str]:
    return [dataset.get_data_info(i).get('img_path', '') for i in range(len(dataset))]


@LOOPS.register_module()
class UDAIterBasedTrainLoop(IterBasedTrainLoop):
    """IterBasedTrainLoop that feeds ``dict(sup=labeled, unsup=unlabeled)`` batches.

    Each iteration draws one labeled batch (``train_dataloader``) and one
    unlabeled batch of ``unsup_ratio`` times as many images. On ``--resume``
    both iterators are advanced by the finished iterations (mmengine's own
    strategy for the labeled one), so the samplers and the workers' random
    augmentation continue exactly where the interrupted run was.

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
            raise ValueError(f'unsup_ratio must be a positive integer, got {unsup_ratio}')
        super().__init__(runner, dataloader, max_iters, val_begin, val_interval,
                         dynamic_intervals)
        self.unsup_ratio = int(unsup_ratio)
        if isinstance(unlabeled_dataloader, dict):
            cfg = copy.deepcopy(unlabeled_dataloader)
            batch_size = self.dataloader.batch_size * self.unsup_ratio
            if cfg.setdefault('batch_size', batch_size) != batch_size:
                raise ValueError(
                    f'unlabeled_dataloader.batch_size={cfg["batch_size"]} disagrees with '
                    f'unsup_ratio={unsup_ratio} x labeled batch size '
                    f'{self.dataloader.batch_size}; leave it out')
            randomness = getattr(runner, '_randomness_cfg', None) or {}
            unlabeled_dataloader = runner.build_dataloader(
                cfg, seed=runner.seed, diff_rank_seed=randomness.get('diff_rank_seed', False))
        self.unlabeled_dataloader = unlabeled_dataloader
        self._check_sources(allow_overlap)
        self.unlabeled_iterator = _InfiniteDataloaderIterator(self.unlabeled_dataloader)

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

    def run(self):
        """IterBasedTrainLoop.run with a labeled and an unlabeled batch per iteration."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(f'Advance both dataloaders {self._iter} steps to skip data that has '
                      'already been trained', logger='current', level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)
                next(self.unlabeled_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = dict(sup=next(self.dataloader_iterator),
                              unsup=next(self.unlabeled_iterator))
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model


