"""MemberEarlyStoppingHook: each DatasetGAN member stops on its own held-out
mIoU, is rewound to its best weights and frozen; training ends when all have."""
import logging
from types import SimpleNamespace

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ganseg_mm.engine.hooks import MemberEarlyStoppingHook
from ganseg_mm.utils.errors import ConfigError

GT = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 255]])


def _runner(num_members=3):
    torch.manual_seed(0)
    head = MODELS.build(dict(type='DatasetGANInterpreterHead', in_channels=6, num_classes=3,
                             num_members=num_members, hidden_channels=(8, 4)))
    return SimpleNamespace(model=SimpleNamespace(head=head), iter=0,
                           train_loop=SimpleNamespace(stop_training=False),
                           logger=logging.getLogger('member_early_stopping_test'))


def _prediction(n_wrong):
    """GT with the first ``n_wrong`` labelled pixels set to a wrong class."""
    pred = GT.clone()
    pred[pred == 255] = 0
    flat = pred.view(-1)
    flat[:n_wrong] = (flat[:n_wrong] + 1) % 3
    return pred


def _validate(hook, runner, wrong_per_member):
    """One validation where member i gets ``wrong_per_member[i]`` pixels wrong;
    each member's first weight is first set to a marker of this validation."""
    runner.iter += 10
    for i, m in enumerate(runner.model.head.members):
        if i not in runner.model.head.frozen_members:
            with torch.no_grad():
                m[0].weight[0, 0] = runner.iter + i / 10
    hook.before_val_epoch(runner)
    ds = SegDataSample(gt_sem_seg=PixelData(data=GT[None]),
                       member_sem_seg=PixelData(data=torch.stack(
                           [_prediction(w) for w in wrong_per_member])))
    hook.after_val_iter(runner, 0, None, [ds])
    hook.after_val_epoch(runner, {})


def _marker(runner, i):
    return runner.model.head.members[i][0].weight[0, 0].item()


def test_member_scores_are_each_members_miou():
    runner = _runner()
    hook = MemberEarlyStoppingHook()
    hook.before_train(runner)
    hook.before_val_epoch(runner)
    ds = SegDataSample(gt_sem_seg=PixelData(data=GT[None]),
                       member_sem_seg=PixelData(data=torch.stack(
                           [_prediction(0), _prediction(1), _prediction(11)])))
    hook.after_val_iter(runner, 0, None, [ds])
    scores = hook.member_scores()
    assert scores[0] == pytest.approx(100)
    # one class-0 pixel called 1: IoU 3/4 (class 0), 4/5 (class 1), 3/3 (class 2)
    assert scores[1] == pytest.approx(100 * (3 / 4 + 4 / 5 + 1) / 3)
    assert scores[2] < scores[1]


def test_a_member_that_stops_improving_is_rewound_to_its_best_and_frozen():
    runner = _runner()
    head = runner.model.head
    hook = MemberEarlyStoppingHook(min_delta=0.5, patience=2)
    hook.before_train(runner)
    _validate(hook, runner, [6, 6, 6])   # iter 10: first scores
    _validate(hook, runner, [4, 2, 7])   # iter 20: member 1 at its best, 2 worse
    _validate(hook, runner, [2, 3, 6])   # iter 30: member 1 worse (1 of 2), 2 stops
    assert head.frozen_members == {2}
    _validate(hook, runner, [0, 4, 8])   # iter 40: member 1 stops (2 of 2)
    assert head.frozen_members == {1, 2}
    assert _marker(runner, 1) == pytest.approx(20.1)  # weights of its best validation
    assert _marker(runner, 2) == pytest.approx(10.2)
    assert _marker(runner, 0) == pytest.approx(40.0)  # still improving: untouched
    assert not runner.train_loop.stop_training
    _validate(hook, runner, [0, 0, 0])   # member 0 no better (1 of 2)
    _validate(hook, runner, [0, 0, 0])   # member 0 stops: every member has
    assert head.frozen_members == {0, 1, 2} and runner.train_loop.stop_training
    assert _marker(runner, 0) == pytest.approx(40.0)


def test_a_frozen_member_does_not_change_when_the_others_train():
    runner = _runner(num_members=2)
    head = runner.model.head
    head.freeze_member(0)
    head.train()
    assert not head.members[0].training and head.members[1].training
    before = {k: v.clone() for k, v in head.members[0].state_dict().items()}
    other = head.members[1][0].weight.clone()
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    for _ in range(3):
        opt.zero_grad()
        head.loss(x, y)['loss_ce'].backward()
        opt.step()
    for k, v in head.members[0].state_dict().items():  # weights and BN statistics
        assert torch.equal(v, before[k]), k
    assert not torch.equal(head.members[1][0].weight, other)


def test_state_survives_a_checkpoint():
    runner = _runner()
    hook = MemberEarlyStoppingHook(patience=1)
    hook.before_train(runner)
    _validate(hook, runner, [6, 6, 6])
    _validate(hook, runner, [4, 8, 4])  # member 1 stops
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    resumed, fresh = _runner(), MemberEarlyStoppingHook(patience=1)
    fresh.after_load_checkpoint(resumed, ckpt)
    fresh.before_train(resumed)
    assert resumed.model.head.frozen_members == {1}
    assert fresh.best == hook.best and fresh.wait == hook.wait
    _validate(fresh, resumed, [2, 0, 6])  # member 2 falls back: stops at its best
    assert resumed.model.head.frozen_members == {1, 2}
    assert torch.equal(resumed.model.head.members[2].state_dict()['0.weight'],
                       hook.best_states[2]['0.weight'])


def test_bad_arguments_and_models_are_config_errors():
    with pytest.raises(ConfigError, match='patience'):
        MemberEarlyStoppingHook(patience=0)
    with pytest.raises(ConfigError, match='min_delta'):
        MemberEarlyStoppingHook(min_delta=-1)
    with pytest.raises(ConfigError, match='DatasetGANInterpreter'):
        MemberEarlyStoppingHook().before_train(SimpleNamespace(model=torch.nn.Linear(1, 1)))
