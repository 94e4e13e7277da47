"""``UDATeacherHook``: the EMA teacher of a UDAEncoderDecoder, updated once per step."""
from __future__ import annotations

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from ganseg_mm.utils.errors import ConfigError


@HOOKS.register_module()
class UDATeacherHook(Hook):
    """Update the EMA teacher (``teacher_ema_decay``) of a
    :class:`~ganseg_mm.models.UDAEncoderDecoder` after every training step, in
    the style of mmdet's ``MeanTeacherHook``::

        teacher <- decay * teacher + (1 - decay) * student

    Before the first step the teacher becomes a copy of the initialized
    student (pretrained weights included); on ``--resume`` the checkpoint's
    teacher is kept. The teacher is part of the model (``ema_teacher.*``
    keys), so checkpoints carry it and resume restores it.

    Args:
        priority (str): Hook priority. Defaults to ``'NORMAL'``.
    """

    def __init__(self, priority: str = 'NORMAL'):
        self.priority = priority

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if getattr(model, 'ema_teacher', None) is None:
            raise ConfigError('UDATeacherHook: the model has no EMA teacher; set '
                              'model.teacher_ema_decay (e.g. 0.99) or drop the hook')
        return model

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if int(model.ema_teacher.steps) == 0:  # a new run, not a resumed one
            model.update_teacher()  # mmengine's first update copies

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._model(runner).update_teacher()
