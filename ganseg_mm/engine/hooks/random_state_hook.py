"""``RandomStateHook``: make ``--resume`` continue exactly like an uninterrupted run."""
from __future__ import annotations

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Save torch's RNG state in checkpoints and restore it on resume.

    mmengine re-seeds at start and, on resume, replays the dataloader up to the
    checkpoint's iteration, so data sampling and augmentation continue exactly.
    The model's own randomness (dropout in DeepLabV3's heads, random masks of
    later ganseg_mm components) draws from torch's global generator, which
    mmengine does not checkpoint: a resumed run would draw different dropout
    masks than the uninterrupted one. This hook stores that generator (CPU and
    every CUDA device) under the checkpoint key ``random_state`` and restores
    it just before the first iteration after resuming, i.e. after the
    dataloader replay. numpy's and Python's generators are left alone: with
    ``num_workers=0`` the replay itself advances them exactly as the original
    run did, so restoring them would be wrong.

    Loading a checkpoint without resuming (``load_from``) leaves the generators
    untouched, with a logged warning if the checkpoint has a state.

    Args:
        priority (str): Hook priority. Defaults to ``'NORMAL'``.
    """

    checkpoint_key = 'random_state'

    def __init__(self, priority: str = 'NORMAL'):
        self.priority = priority
        self._pending = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[self.checkpoint_key] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(self.checkpoint_key)
        if state is None:
            return
        if not runner._resume:  # no public flag says "resuming"; mmengine's EMAHook reads it too
            runner.logger.warning(
                f'{self.checkpoint_key!r} in the checkpoint is ignored: it is '
                'only restored when resuming')
            return
        self._pending = state

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
