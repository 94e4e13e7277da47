"""RandomStateHook: per-rank states in the checkpoint, restored only when they fit.

The 2-process resume that needs each rank's own state is
``tests/test_tools/test_resume_and_dist.py``."""
import logging
from types import SimpleNamespace

import torch

from ganseg_mm.engine.hooks import RandomStateHook


def _runner(resume=True):
    return SimpleNamespace(_resume=resume, logger=logging.getLogger('test_random_state'),
                           hooks=[])


def test_save_then_resume_restores_the_generator():
    hook, runner = RandomStateHook(), _runner()
    torch.manual_seed(3)
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    expected = torch.rand(4)
    assert len(ckpt['random_state']['ranks']) == 1
    torch.manual_seed(99)
    hook.after_load_checkpoint(runner, ckpt)
    hook.before_train_iter(runner, 0)
    assert torch.equal(torch.rand(4), expected)


def test_checkpoint_of_another_world_size_is_not_restored(caplog):
    hook, runner = RandomStateHook(), _runner()
    state = dict(torch=torch.get_rng_state())
    with caplog.at_level(logging.WARNING, logger='test_random_state'):
        hook.after_load_checkpoint(runner, dict(random_state=dict(ranks=[state, state])))
    assert hook._pending is None
    assert 'saved by 2 rank(s), resuming with 1' in caplog.text


def test_single_state_checkpoint_of_earlier_versions_still_resumes():
    hook, runner = RandomStateHook(), _runner()
    torch.manual_seed(5)
    old = dict(random_state=dict(torch=torch.get_rng_state()))
    expected = torch.rand(3)
    hook.after_load_checkpoint(runner, old)
    hook.before_train_iter(runner, 0)
    assert torch.equal(torch.rand(3), expected)


def test_load_without_resume_leaves_the_generator_alone(caplog):
    hook, runner = RandomStateHook(), _runner(resume=False)
    with caplog.at_level(logging.WARNING, logger='test_random_state'):
        hook.after_load_checkpoint(
            runner, dict(random_state=dict(ranks=[dict(torch=torch.get_rng_state())])))
    assert hook._pending is None and 'only restored when resuming' in caplog.text
