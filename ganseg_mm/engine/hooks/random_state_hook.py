"""``RandomStateHook``: make ``--resume`` continue exactly like an uninterrupted run."""
from __future__ import annotations

from typing import List, Optional

import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmengine.registry import HOOKS


def _rng_state() -> dict:
    state = dict(torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save every rank's torch RNG state in checkpoints and restore it on resume.

    mmengine re-seeds at start and, on resume, replays the dataloader up to the
    checkpoint's iteration, so data sampling and augmentation continue exactly.
    The model's own randomness (dropout in DeepLabV3's heads, random masks of
    later ganseg_mm components) draws from torch's global generator, which
    mmengine does not checkpoint: a resumed run would draw different dropout
    masks than the uninterrupted one. This hook stores that generator (CPU and
    every CUDA device) of **each rank** under the checkpoint key
    ``random_state`` and restores each rank's own state just before the first
    iteration after resuming, i.e. after the dataloader replay. With
    ``randomness.diff_rank_seed=True`` the ranks' generators differ, so one
    rank's state restored everywhere would give every rank the same masks.

    mmengine writes checkpoints on rank 0 only (``before_save_checkpoint`` runs
    there alone), so the states are gathered from all ranks in
    ``after_train_iter`` (``after_train_epoch`` for epoch-based
    checkpointing) of the iterations a ``CheckpointHook`` saves at.
    numpy's and Python's generators are left alone: with ``num_workers=0`` the
    replay itself advances them exactly as the original run did, so restoring
    them would be wrong.

    A state saved by another number of ranks is not restored (a logged
    warning), nor is one loaded without resuming (``load_from``).

    Args:
        priority (str): Hook priority. Defaults to ``'NORMAL'`` (before the
            CheckpointHook's ``'VERY_LOW'``).
    """

    checkpoint_key = 'random_state'

    def __init__(self, priority: str = 'NORMAL'):
        self.priority = priority
        self._pending: Optional[dict] = None
        self._gathered: Optional[List[dict]] = None

    # -- saving ---------------------------------------------------------------
    @staticmethod
    def _saves_after_iter(runner) -> bool:
        """Whether an iteration-based CheckpointHook saves after this iteration
        (its own condition, read from its public settings)."""
        return any(
            isinstance(h, CheckpointHook) and not h.by_epoch and (
                h.every_n_train_iters(runner, h.interval, h.save_begin)
                or (h.save_last and h.is_last_train_iter(runner)))
            for h in runner.hooks)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._saves_after_iter(runner):
            self._gathered = all_gather_object(_rng_state())

    def after_train_epoch(self, runner) -> None:
        self._gathered = all_gather_object(_rng_state())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        ranks, self._gathered = self._gathered, None
        if ranks is None:
            if get_world_size() > 1:  # a save outside the CheckpointHook's schedule
                runner.logger.warning(f'{self.checkpoint_key!r} not saved: the ranks\' '
                                      'states were not gathered for this checkpoint')
                return
            ranks = [_rng_state()]
        checkpoint[self.checkpoint_key] = dict(ranks=ranks)

    # -- resuming -------------------------------------------------------------
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(self.checkpoint_key)
        if state is None:
            return
        if not runner._resume:  # no public flag says "resuming"; mmengine's EMAHook reads it too
            runner.logger.warning(
                f'{self.checkpoint_key!r} in the checkpoint is ignored: it is '
                'only restored when resuming')
            return
        ranks = state.get('ranks', [state])  # checkpoints before per-rank states: one rank
        if len(ranks) != get_world_size():
            runner.logger.warning(
                f'{self.checkpoint_key!r} saved by {len(ranks)} rank(s), resuming with '
                f'{get_world_size()}: not restored, the model\'s random draws will differ '
                'from an uninterrupted run')
            return
        self._pending = ranks[get_rank()]

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._pending is None:
            return
        torch.set_rng_state(self._pending['torch'])
        cuda = self._pending.get('cuda')
        if cuda is not None and torch.cuda.is_available():
            if len(cuda) != torch.cuda.device_count():
                runner.logger.warning(
                    'CUDA RNG state saved for %d devices, %d present: not restored',
                    len(cuda), torch.cuda.device_count())
            else:
                torch.cuda.set_rng_state_all(cuda)
        self._pending = None
