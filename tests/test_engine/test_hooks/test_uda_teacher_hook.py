"""UDATeacherHook: copy before the first step, one EMA step after each, the
resumed teacher kept."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from ganseg_mm.engine.hooks import UDATeacherHook
from ganseg_mm.utils.errors import ConfigError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
init_default_scope('mmseg')


def _model(**kw):
    cfg = Config.fromfile(osp.join(REPO, 'configs/uda/deeplabv3_r18_uda_demo.py')).model
    cfg.update(kw)
    return MODELS.build(cfg)


def _w(m):
    return m.decode_head.conv_seg.weight


def test_teacher_starts_as_the_initialized_student_then_averages():
    model, hook = _model(teacher_ema_decay=0.9), UDATeacherHook()
    runner = SimpleNamespace(model=model)
    with torch.no_grad():
        _w(model).fill_(1.0)  # e.g. init_weights / pretrained weights after the model was built
    hook.before_train(runner)
    torch.testing.assert_close(_w(model.ema_teacher.module), _w(model))
    with torch.no_grad():
        _w(model).fill_(2.0)  # an optimizer step
    hook.after_train_iter(runner, 0)
    torch.testing.assert_close(_w(model.ema_teacher.module), torch.full_like(_w(model), 1.1))


def test_resumed_teacher_is_kept():
    model, hook = _model(teacher_ema_decay=0.9), UDATeacherHook()
    model.update_teacher()
    with torch.no_grad():
        _w(model.ema_teacher.module).fill_(5.0)  # as loaded from the checkpoint
    hook.before_train(SimpleNamespace(model=model))
    assert (_w(model.ema_teacher.module) == 5.0).all()


def test_hook_without_an_ema_teacher_is_a_config_error():
    with pytest.raises(ConfigError, match='teacher_ema_decay'):
        UDATeacherHook().before_train(SimpleNamespace(model=_model()))
