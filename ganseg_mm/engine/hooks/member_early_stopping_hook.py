"""``MemberEarlyStoppingHook``: each DatasetGAN ensemble member stops on its own."""
from __future__ import annotations

import copy

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmseg.evaluation import IoUMetric

from ganseg_mm.utils.errors import ConfigError


@HOOKS.register_module()
class MemberEarlyStoppingHook(Hook):
    """Early stopping per ensemble member of a
    :class:`~ganseg_mm.models.DatasetGANInterpreter`.

    nv-tlabs/datasetGAN_release trains each of its classifiers in its own loop
    and stops each one on its own. Here the members train together, and
    after every validation this hook scores each member alone: its mIoU on
    the held-out annotations, from the ``member_sem_seg`` maps the
    interpreter predicts. A member whose score has not improved by more than
    ``min_delta`` for ``patience`` validations is rewound to the weights of
    its best validation and frozen
    (:meth:`~ganseg_mm.models.DatasetGANInterpreterHead.freeze_member`), while
    the others train on. Training ends when every member has stopped. Members
    still training at ``max_iters`` keep their last weights.

    It replaces mmengine's ``EarlyStoppingHook`` (which stops the whole
    ensemble on the vote's score). It runs after ``CheckpointHook``
    (``LOWEST`` priority), so a ``save_best`` checkpoint is the model that was
    scored, not a rewound one. Its state (best scores, waits, best weights,
    frozen members) is saved in checkpoints, so ``--resume`` continues it.

    Args:
        min_delta (float): Smallest mIoU gain (in %, as mmseg's ``IoUMetric``)
            that counts as an improvement. Defaults to 0.5.
        patience (int): Validations without improvement before a member
            stops. Defaults to 2.
    """

    priority = 'LOWEST'

    def __init__(self, min_delta: float = 0.5, patience: int = 2):
        if not isinstance(patience, int) or patience < 1:
            raise ConfigError(f'MemberEarlyStoppingHook: patience must be a positive int, '
                              f'got {patience!r}')
        if min_delta < 0:
            raise ConfigError(f'MemberEarlyStoppingHook: min_delta must be >= 0, '
                              f'got {min_delta}')
        self.min_delta = float(min_delta)
        self.patience = patience
        self.best = None  # per member: best mIoU, validations since, best weights
        self.wait = None
        self.best_states = None
        self._areas = None

    @staticmethod
    def _head(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'head', None)
        if head is None or not hasattr(head, 'freeze_member'):
            raise ConfigError('MemberEarlyStoppingHook needs a DatasetGANInterpreter model')
        return head

    def before_train(self, runner) -> None:
        head = self._head(runner)
        if self.best is None:
            n = head.num_members
            self.best, self.wait, self.best_states = [-1.0] * n, [0] * n, [None] * n

    def before_val_epoch(self, runner) -> None:
        self._areas = None

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        head = self._head(runner)
        for ds in outputs:
            if 'member_sem_seg' not in ds:
                raise ConfigError('MemberEarlyStoppingHook: the model predicts no '
                                  'member_sem_seg (not a DatasetGANInterpreter?)')
            members, gt = ds.member_sem_seg.data, ds.gt_sem_seg.data[0]
            # (members, 2, classes): intersection and union per member
            areas = torch.stack([torch.stack(IoUMetric.intersect_and_union(
                m, gt, head.num_classes, head.ignore_index)[:2]) for m in members])
            self._areas = areas if self._areas is None else self._areas + areas

    def member_scores(self) -> list[float]:
        """Each member's mIoU (%) over the validation just run (all ranks)."""
        areas = self._areas.double()
        all_reduce(areas)
        iou = areas[:, 0] / areas[:, 1]  # nan where a class is nowhere: skipped
        return (100 * iou.nanmean(1)).tolist()

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._areas is None or self.best is None:  # validation outside training
            return
        head = self._head(runner)
        for i, score in enumerate(self.member_scores()):
            if i in head.frozen_members:
                continue
            if score > self.best[i] + self.min_delta or self.best_states[i] is None:
                self.best[i], self.wait[i] = score, 0
                self.best_states[i] = copy.deepcopy(head.members[i].state_dict())
                continue
            self.wait[i] += 1
            if self.wait[i] >= self.patience:
                head.members[i].load_state_dict(self.best_states[i])
                head.freeze_member(i)
                runner.logger.info(f'DatasetGAN member {i} stopped at iteration '
                                   f'{runner.iter}, rewound to its best held-out mIoU '
                                   f'{self.best[i]:.2f}')
        if len(head.frozen_members) == head.num_members:
            runner.train_loop.stop_training = True
            runner.logger.info('every DatasetGAN member has stopped: training ends')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.best is not None:
            checkpoint['member_early_stopping'] = dict(
                best=list(self.best), wait=list(self.wait), best_states=self.best_states,
                frozen=sorted(self._head(runner).frozen_members))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('member_early_stopping')
        if state is None:
            return
        self.best, self.wait = list(state['best']), list(state['wait'])
        self.best_states = list(state['best_states'])
        head = self._head(runner)
        for i in state['frozen']:
            head.freeze_member(i)
