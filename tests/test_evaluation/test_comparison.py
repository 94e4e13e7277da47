"""Statistics, table, plot and per-pair bookkeeping of the multi-seed comparison."""
import glob
import json
import math
import os
import os.path as osp
import random
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest

from ganseg_mm.evaluation import comparison as C

T_975_2 = 4.303  # Student's t, 97.5% quantile, 2 degrees of freedom (printed tables)


def _read(path):
    with open(path) as f:
        return f.read()


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def test_three_seed_interval_by_hand():
    r = C.t_interval([1.0, 2.0, 3.0])
    assert r['n'] == 3 and r['mean'] == 2.0 and r['std'] == 1.0
    half = T_975_2 * 1.0 / math.sqrt(3)  # 2.4843
    assert r['ci'] == pytest.approx([2 - half, 2 + half], abs=1e-3)


def test_mean_std_skips_missing_and_is_sample_std():
    r = C.mean_std([2.0, None, float('nan'), 4.0, 6.0])
    assert r == dict(n=3, mean=4.0, std=2.0)  # sqrt(((-2)^2 + 0 + 2^2) / (3 - 1))


def test_deltas_are_paired_by_seed_whatever_the_order():
    base = {0: 30.0, 1: 10.0, 2: 20.0}
    method = {2: 23.0, 0: 31.0, 1: 12.0}  # +1, +2, +3 on seeds 0, 1, 2
    r = C.paired_deltas(base, method)
    assert r['deltas'] == {'0': 1.0, '1': 2.0, '2': 3.0}
    assert (r['mean'], r['std']) == (2.0, 1.0)  # unpaired, std would be ~9.5
    items = list(method.items())
    for _ in range(5):
        random.shuffle(items)
        assert C.paired_deltas(dict(reversed(list(base.items()))), dict(items)) == r


def test_deltas_use_only_seeds_both_have():
    r = C.paired_deltas({0: 1.0, 1: 2.0, 2: None}, {0: 2.0, 1: 4.0, 2: 9.0, 3: 5.0})
    assert r['deltas'] == {'0': 1.0, '1': 2.0} and r['n'] == 2


def test_one_seed_is_not_applicable_not_zero():
    r = C.paired_deltas({0: 50.0}, {0: 52.5})
    assert (r['n'], r['mean'], r['std'], r['ci']) == (1, 2.5, None, None)


def _res(miou, a, b, **kinds):
    m = {'mIoU': miou, 'IoU.a': a, 'IoU.b': b}
    return dict(metrics=dict(last=m, **{k: dict(m, **v) for k, v in kinds.items()}))


def _results():
    """base and m over seeds 0-2; m is +1/+2/+3 on class b (the rare one)."""
    return {'base': {s: _res(50.0 + s, 60.0, 40.0 + s) for s in (0, 1, 2)},
            'm': {s: _res(51.0 + s, 60.0, 41.0 + 2 * s, teacher={'IoU.b': 45.0})
                  for s in (2, 0, 1)}}


def test_summarize_rows_stats_and_deltas():
    s = C.summarize(_results(), 'base', 'last', ['a', 'b'], [False, True])
    assert s['rows'] == ['mIoU', C.RARE_ROW, 'a', 'b'] and s['methods'] == ['m']
    assert s['stats']['base']['b'] == dict(n=3, mean=41.0, std=1.0)
    d = s['deltas']['m']['b']
    assert d['deltas'] == {'0': 1.0, '1': 2.0, '2': 3.0}
    assert d['ci'] == pytest.approx([2 - T_975_2 / math.sqrt(3), 2 + T_975_2 / math.sqrt(3)],
                                    abs=1e-3)
    assert s['deltas']['m'][C.RARE_ROW]['deltas'] == d['deltas']  # b is the only rare class
    assert s['deltas']['m']['a']['std'] == 0.0 and s['deltas']['m']['a']['mean'] == 0.0


def test_teacher_is_compared_with_the_baseline_last():
    s = C.summarize(_results(), 'base', 'teacher', ['a', 'b'], [False, True])
    assert s['baseline_kind'] == 'last' and s['kind'] == 'teacher'
    assert s['deltas']['m']['b']['deltas'] == {'0': 5.0, '1': 4.0, '2': 3.0}
    assert C.summarize(_results(), 'base', 'best', ['a', 'b'], [False, True]) is None


def test_table_marks_rare_and_prints_intervals():
    s = C.summarize(_results(), 'base', 'last', ['a', 'b'], [False, True])
    t = C.format_table(s, 'base', ['a', 'b'], [False, True], [0.995, 0.005], 3)
    rows = {r.split('|')[1].strip(): [c.strip() for c in r.split('|')[2:-1]]
            for r in t.splitlines()[2:]}
    assert rows['*b'] == ['0.50', '41.00 ± 1.00', '43.00 ± 2.00', '+2.00 [-0.48, +4.48]']
    assert rows['a'][0] == '99.50' and rows['a'][3] == '+0.00 [+0.00, +0.00]'
    assert list(rows) == ['mIoU', C.RARE_ROW, 'a', '*b']


def test_table_with_one_seed_says_na():
    res = {n: {0: r[0]} for n, r in _results().items()}
    s = C.summarize(res, 'base', 'last', ['a', 'b'], [False, True])
    t = C.format_table(s, 'base', ['a', 'b'], [False, True], [0.995, 0.005], 1)
    assert '50.00 ± n/a' in t and '+1.00 [n/a]' in t and '± 0.00' not in t


def test_rare_rule_is_strictly_below_the_share():
    share, rare = C.rare_classes([900, 90, 10], 0.01)
    assert share == [0.9, 0.09, 0.01] and rare == [False, False, False]
    assert C.rare_classes([991, 9, 0], 0.01)[1] == [False, True, True]


def test_plot_is_a_png(tmp_path):
    s = C.summarize(_results(), 'base', 'last', ['a', 'b'], [False, True])
    p = str(tmp_path / 'x.png')
    C.plot_deltas_png(p, s, 'base', ['a', 'b'], [False, True], [0.995, 0.005])
    assert cv2.imread(p) is not None and os.listdir(tmp_path) == ['x.png']


def test_count_class_pixels(tiny_demo_root, repo_root, tmp_path):
    """The training-pixel totals that mark rare classes (the cache is tested with
    ganseg_mm.datasets.class_stats in test_rare_class_sampling_dataset.py)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(repo_root, 'configs/baseline/deeplabv3_r18_demo.py'))
    cfg.train_dataloader.dataset.data_root = tiny_demo_root
    labels = glob.glob(osp.join(tiny_demo_root, 'gtFine/train/*/*_labelTrainIds.png'))
    want = sum(np.bincount(cv2.imread(f, cv2.IMREAD_UNCHANGED).ravel(), minlength=256)[:19]
               for f in labels)
    classes, px = C.count_class_pixels(cfg.train_dataloader.dataset, str(tmp_path))
    assert len(labels) == 12 and classes[0] == 'road' and px == want.tolist()
    assert len(glob.glob(str(tmp_path / 'class_pixels_*.json'))) == 1


# ------------------------------------------------------------- bookkeeping
FP = {'a': {'config': 'a.py'}, 'b': {'config': 'b.py'}}


class FakeRunner:
    def __init__(self, fail=None):
        self.calls, self.fail = [], fail

    def __call__(self, name, config, seed, d):
        assert osp.isfile(osp.join(d, C.LOCK))  # runs under the pair's lock
        self.calls.append((name, seed))
        if (name, seed) == self.fail:
            raise C.RunFailed(3, osp.join(d, 'train.log'))
        return dict(metrics=dict(last={'mIoU': 1.0}))


def _pairs():
    return C.plan_pairs(['a', 'b'], ['a.py', 'b.py'], [0, 1, 2])


def _finish(wd, name, seed, fp=None):
    d = C.pair_dir(wd, name, seed)
    os.makedirs(d)
    _write(osp.join(d, C.RESULT),
           json.dumps(dict(metrics=dict(last={'mIoU': 0.0}), fingerprint=fp or FP[name])))


def test_resume_runs_only_missing_pairs(tmp_path):
    wd = str(tmp_path)
    _finish(wd, 'a', 0)
    _finish(wd, 'b', 2)
    run = FakeRunner()
    state = C.run_pairs(_pairs(), wd, run, FP, log=lambda s: None)
    assert sorted(run.calls) == [('a', 1), ('a', 2), ('b', 0), ('b', 1)] and state['ran'] == 4
    assert not glob.glob(osp.join(wd, '*/*', C.LOCK))
    res = C.collect(_pairs(), wd, FP)
    assert res['a'][1]['fingerprint'] == FP['a'] and res['a'][0]['metrics']['last']['mIoU'] == 0
    assert C.run_pairs(_pairs(), wd, run, FP, log=lambda s: None)['ran'] == 0


def test_result_of_other_options_is_an_error(tmp_path):
    _finish(str(tmp_path), 'a', 0, fp={'config': 'a.py', 'cfg_options': ['x=1']})
    with pytest.raises(C.DataValidationError, match="another config file content or"):
        C.run_pairs(_pairs(), str(tmp_path), FakeRunner(), FP, log=lambda s: None)


def test_shards_split_the_pairs(tmp_path):
    runs = [FakeRunner(), FakeRunner()]
    for i, run in enumerate(runs):
        C.run_pairs(_pairs(), str(tmp_path), run, FP, shard=(i, 2), log=lambda s: None)
        assert (C.collect(_pairs(), str(tmp_path), FP) is None) == (i == 0)
    assert runs[0].calls == [('a', 0), ('a', 1), ('a', 2)]  # seed-major: every 2nd pair
    assert sorted(runs[0].calls + runs[1].calls) == sorted((n, s) for n, _, s in _pairs())


def _lock(wd, name, seed, pid):
    d = C.pair_dir(wd, name, seed)
    os.makedirs(d)
    _write(osp.join(d, C.LOCK), json.dumps(dict(pid=pid, host=socket.gethostname(), since='t')))


def test_lock_of_a_live_process_is_skipped_and_a_dead_one_reported(tmp_path):
    wd = str(tmp_path)
    other = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'],
                             stdin=subprocess.PIPE)
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    try:
        _lock(wd, 'a', 1, other.pid)
        _lock(wd, 'b', 2, dead.pid)
        run, lines = FakeRunner(), []
        state = C.run_pairs(_pairs(), wd, run, FP, log=lines.append)
        assert len(run.calls) == 4 and ('a', 1) not in run.calls and ('b', 2) not in run.calls
        assert state['locked'] == [osp.join(C.pair_dir(wd, 'a', 1), C.LOCK)]
        assert state['stale'] == [osp.join(C.pair_dir(wd, 'b', 2), C.LOCK)]
        assert any(f'pid {dead.pid}' in s and 'stale' in s for s in lines)
        assert C.collect(_pairs(), wd, FP) is None  # no summary while pairs are missing
        assert osp.isfile(osp.join(C.pair_dir(wd, 'a', 1), C.LOCK))  # others' locks stay
    finally:
        other.communicate(b'')
    os.unlink(osp.join(C.pair_dir(wd, 'a', 1), C.LOCK))  # as the holder does when done
    os.unlink(osp.join(C.pair_dir(wd, 'b', 2), C.LOCK))  # as the user does (docs)
    C.run_pairs(_pairs(), wd, run, FP, log=lambda s: None)
    assert len(run.calls) == 6 and C.collect(_pairs(), wd, FP) is not None


def test_try_lock_is_exclusive(tmp_path):
    d = str(tmp_path / 'p')
    assert C.try_lock(d) is None
    holder = C.try_lock(d)
    assert holder['pid'] == os.getpid() and holder['stale'] is False


def test_failing_pair_stops_with_one_line_and_keeps_finished(tmp_path):
    wd = str(tmp_path)
    run = FakeRunner(fail=('b', 0))
    with pytest.raises(C.PairFailed) as e:
        C.run_pairs(_pairs(), wd, run, FP, log=lambda s: None)
    log = osp.join(C.pair_dir(wd, 'b', 0), 'train.log')
    assert str(e.value) == f'b seed 0 failed (exit 3); log: {log}'
    assert osp.isfile(osp.join(C.pair_dir(wd, 'a', 0), C.RESULT))
    assert not glob.glob(osp.join(wd, '*/*', C.LOCK))  # the failed pair can be rerun
    run = FakeRunner()
    C.run_pairs(_pairs(), wd, run, FP, log=lambda s: None)
    assert run.calls[0] == ('b', 0) and len(run.calls) == 5


def _scalars(d, stamp, lines):
    import os
    os.makedirs(osp.join(d, stamp, 'vis_data'), exist_ok=True)
    with open(osp.join(d, stamp, 'vis_data', 'scalars.json'), 'w') as f:
        f.write('\n'.join(json.dumps(x) for x in lines) + '\n')


def test_curves_over_seeds_by_hand(tmp_path):
    from ganseg_mm.evaluation.comparison import read_train_scalars, write_curves
    wd = str(tmp_path)
    s0, s1 = osp.join(wd, 'm', 'seed0'), osp.join(wd, 'm', 'seed1')
    _scalars(s0, '20260101_000000', [{'k': 1.0, 'iter': 10, 'step': 10},
                                     {'k': 9.0, 'iter': 20, 'step': 20},
                                     {'mIoU': 50.0, 'step': 20}])  # a val line: skipped
    _scalars(s0, '20260101_010000', [{'k': 3.0, 'iter': 20, 'step': 20},  # resumed: wins
                                     {'k': 5.0, 'iter': 30, 'step': 30},
                                     {'k': 7.0, 'iter': 40, 'step': 40}])
    _scalars(s0, 'test_last', [{'k': 100.0, 'iter': 1, 'step': 1}])  # a test run: skipped
    _scalars(s1, '20260101_000000', [{'k': 3.0, 'iter': 10, 'step': 10},
                                     {'k': 5.0, 'iter': 20, 'step': 20},
                                     {'k': 5.0, 'iter': 30, 'step': 30},
                                     {'k': 9.0, 'iter': 40, 'step': 40}])
    assert read_train_scalars(s0) == {'k': {10: 1.0, 20: 3.0, 30: 5.0, 40: 7.0}}
    text = write_curves(wd, ['m', 'absent'], [0, 1], ['k', 'other'])
    curves = json.loads(open(osp.join(wd, 'curves.json')).read())
    c = curves['k']['m']
    assert c['iters'] == [10, 20, 30, 40] and c['mean'] == [2.0, 4.0, 5.0, 8.0]
    assert c['std'][0] == pytest.approx(np.sqrt(2.0)) and c['n'] == [2, 2, 2, 2]
    assert c['final']['mean'] == 8.0 and c['final']['std'] == pytest.approx(np.sqrt(2.0))
    assert 'absent' not in curves['k'] and curves['other'] == {}
    assert '| `k` | 8.000 ± 1.414 |' in text and '| `other` | - |' in text
    assert cv2.imread(osp.join(wd, 'curves.png')) is not None
