"""tools/compare.py as a user runs it: bad input, resume, shards, failures, end to end."""
import importlib.util
import json
import os
import os.path as osp
import re

import cv2
import pytest

from ganseg_mm.evaluation import comparison as C
from tests.test_tools.test_train_cli import _opts as _train_opts

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CFG = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')
CLASSES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
           'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
           'truck', 'bus', 'train', 'motorcycle', 'bicycle')


def _tool():
    path = osp.join(REPO, 'tools/compare.py')
    spec = importlib.util.spec_from_file_location('compare_tool', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _read(path):
    with open(path) as f:
        return f.read()


def _opts(root, iters=2):
    """tools/train.py's tiny-data options, plus a schedule as short as the run."""
    return _train_opts(root, iters) + [f'param_scheduler.0.end={iters}',
                                       'default_hooks.logger.interval=1']


def _one_line_error(capsys, code, pattern):
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith('error: '), err
    assert re.search(pattern, err[0]), err[0]


@pytest.mark.parametrize('argv,pattern', [
    ([DEMO_CFG, DEMO_CFG, '--names', 'a', 'b', '--seeds'], 'expected at least one argument'),
    ([DEMO_CFG, 'configs/no_such.py', '--names', 'a', 'b'], "config 'configs/no_such.py' does"),
    ([DEMO_CFG, DEMO_CFG, '--names', 'a', 'b', '--shard', '2/2'], 'must be i/n with 0 <= i < n'),
    ([DEMO_CFG, DEMO_CFG], 'not unique: pass --names'),
    ([DEMO_CFG, '--names', 'a'], 'at least one method config'),
    ([DEMO_CFG, DEMO_CFG, '--names', 'a', 'b', '--seeds', '1', '1'], 'has repeats'),
])
def test_bad_input_is_a_one_line_usage_error(argv, pattern, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        _tool().main(argv + ['--work-dir', str(tmp_path)], run_pair=lambda *a: 1 / 0)
    _one_line_error(capsys, e.value.code, pattern)
    assert os.listdir(tmp_path) == []


class FakeRunner:
    def __init__(self, fail=None):
        self.calls, self.fail = [], fail

    def __call__(self, name, config, seed, d):
        self.calls.append((name, seed))
        if (name, seed) == self.fail:
            raise C.RunFailed(3, osp.join(d, 'train.log'))
        bump = 2.0 if name == 'cegu' else 0.0
        m = {f'IoU.{c}': 50.0 + seed + bump * (c == 'bicycle') for c in CLASSES}
        m['mIoU'] = sum(m.values()) / len(CLASSES)
        return dict(metrics=dict(last=m, best=dict(m, mIoU=m['mIoU'] + 1)))


def test_shards_resume_and_summary(tiny_demo_root, tmp_path, capsys):
    tool, wd = _tool(), str(tmp_path / 'cmp')
    argv = [DEMO_CFG, DEMO_CFG, '--names', 'base', 'cegu', '--seeds', '0', '1',
            '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root)]
    first, second = FakeRunner(), FakeRunner()
    assert tool.main(argv + ['--shard', '0/2'], run_pair=first) == 0
    assert first.calls == [('base', 0), ('base', 1)]
    assert not osp.exists(osp.join(wd, 'comparison.json'))  # cegu is not done yet
    assert 'not all pairs are finished' in capsys.readouterr().out
    assert tool.main(argv + ['--shard', '1/2'], run_pair=second) == 0
    assert second.calls == [('cegu', 0), ('cegu', 1)]
    out = capsys.readouterr().out
    assert '[compare] done cegu seed 1' in out and '(0 pairs left)' in out
    res = json.loads(_read(osp.join(wd, 'comparison.json')))
    assert set(res['pairs']['cegu']) == {'0', '1'} and res['seeds'] == [0, 1]
    d = res['summaries']['last']['deltas']['cegu']['bicycle']
    assert d['deltas'] == {'0': 2.0, '1': 2.0} and d['ci'] == [2.0, 2.0]
    assert res['summaries']['best']['kind'] == 'best'
    labels = [osp.join(r, f) for r, _, fs in os.walk(osp.join(tiny_demo_root, 'gtFine/train'))
              for f in fs if f.endswith('labelTrainIds.png')]
    total = sum(cv2.imread(f, cv2.IMREAD_UNCHANGED).size for f in labels)
    assert sum(res['train_pixels']) <= total and len(res['rare']) == 19
    md = _read(osp.join(wd, 'comparison.md'))
    assert '## last checkpoint (headline)' in md and '## best checkpoint' in md
    assert md.index('headline') < md.index('## best') and md in out
    assert cv2.imread(osp.join(wd, 'comparison.png')) is not None
    again = FakeRunner()
    assert tool.main(argv, run_pair=again) == 0 and again.calls == []


def test_failing_pair_exits_2_and_rerun_resumes(tiny_demo_root, tmp_path, capsys):
    tool, wd = _tool(), str(tmp_path / 'cmp')
    argv = [DEMO_CFG, DEMO_CFG, '--names', 'base', 'cegu', '--seeds', '0', '1',
            '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root)]
    assert tool.main(argv, run_pair=FakeRunner(fail=('cegu', 0))) == 2
    log = osp.join(wd, 'cegu', 'seed0', 'train.log')
    _one_line_error(capsys, 2, f'^error: cegu seed 0 failed \\(exit 3\\); log: {log}$')
    assert osp.isfile(osp.join(wd, 'base', 'seed0', C.RESULT))
    run = FakeRunner()
    assert tool.main(argv, run_pair=run) == 0
    assert run.calls == [('cegu', 0), ('base', 1), ('cegu', 1)]


def test_real_training_failure_names_pair_and_log(tmp_path, capsys):
    tool, wd = _tool(), str(tmp_path / 'cmp')
    code = tool.main([DEMO_CFG, DEMO_CFG, '--names', 'base', 'other', '--seeds', '0',
                      '--work-dir', wd, '--cfg-options', *_opts(str(tmp_path / 'nothing'))])
    log = osp.join(wd, 'base', 'seed0', 'train.log')
    _one_line_error(capsys, code, f'^error: base seed 0 failed \\(exit 2\\); log: {log}$')
    assert 'does not exist' in _read(log)
    assert not os.path.exists(osp.join(wd, 'base', 'seed0', C.LOCK))


class FakeTools:
    """Stands in for tools/train.py and tools/test.py (records their arguments)."""

    def __init__(self, teacher):
        self.calls, self.teacher = [], teacher

    def __call__(self, args, log, desc=None):
        self.calls.append(args)
        if args[0] == 'tools/train.py':
            d = args[args.index('--work-dir') + 1]
            open(osp.join(d, 'iter_2.pth'), 'w').close()
            with open(osp.join(d, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(d, 'iter_2.pth'))
            with open(osp.join(d, osp.basename(args[1])), 'w') as f:  # as the Runner dumps it
                f.write(f'model = dict(type="X", teacher_ema_decay={self.teacher})\n')
        else:
            with open(args[args.index('--metrics-out') + 1], 'w') as f:
                json.dump({'mIoU': 1.0, 'kind': osp.basename(log)}, f)


def test_runner_commands_resume_and_teacher(tmp_path, monkeypatch):
    tool = _tool()
    d = str(tmp_path / 'm' / 'seed3')
    os.makedirs(d)
    cfg = str(tmp_path / 'm.py')
    open(cfg, 'w').close()
    fake = FakeTools(teacher=0.99)
    monkeypatch.setattr(tool, '_call', fake)
    open(osp.join(d, 'iter_1.pth'), 'w').close()  # an interrupted earlier attempt
    res = tool.make_runner(['a=1', 'randomness.seed=7'])('m', cfg, 3, d)
    train = fake.calls[0]
    assert train[:4] == ['tools/train.py', cfg, '--work-dir', d] and '--resume' in train
    assert train[train.index('--cfg-options') + 1:] == [
        'a=1', 'randomness.seed=7', 'randomness.seed=3', f'load_from={d}/iter_1.pth']
    tests = {c[c.index('--metrics-out') + 1]: c for c in fake.calls[1:]}
    assert sorted(res['metrics']) == ['last', 'teacher'] and len(tests) == 2
    assert tests[osp.join(d, 'metrics_teacher.json')][-1] == 'model.predict_on=teacher'
    assert 'model.predict_on=teacher' not in tests[osp.join(d, 'metrics_last.json')]
    last = osp.join(d, 'iter_2.pth')
    assert res['checkpoints'] == dict(last=last, teacher=last)
    assert res['resolved_config'] == osp.join(d, 'm.py') and res['ann_files'] == {}
    fake.calls.clear()  # trained already: a rerun (after a failed test) only tests
    tool.make_runner([])('m', cfg, 3, d)
    assert [c[0] for c in fake.calls] == ['tools/test.py', 'tools/test.py']


def test_find_checkpoints(tmp_path):
    tool = _tool()
    for f in ('iter_2.pth', 'iter_10.pth', 'best_mIoU_iter_2.pth'):
        open(tmp_path / f, 'w').close()
    assert tool.find_checkpoints(str(tmp_path)) == dict(
        last=str(tmp_path / 'iter_10.pth'), best=str(tmp_path / 'best_mIoU_iter_2.pth'))
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/iter_2.pth')  # moved work dir
    assert tool.find_checkpoints(str(tmp_path))['last'] == str(tmp_path / 'iter_2.pth')


def test_train_ann_files_hashes_every_split(tmp_path):
    import hashlib
    (tmp_path / 'l.txt').write_text('a\n')
    (tmp_path / 'u.txt').write_text('b\n')
    cfg = dict(train_dataloader=dict(dataset=dict(data_root=str(tmp_path), ann_file='l.txt')),
               train_cfg=dict(unlabeled_dataloader=dict(dataset=dict(
                   type='Wrap', dataset=dict(data_root=str(tmp_path), ann_file='u.txt')))))
    assert _tool().train_ann_files(cfg) == {
        str(tmp_path / 'l.txt'): hashlib.sha256(b'a\n').hexdigest(),
        str(tmp_path / 'u.txt'): hashlib.sha256(b'b\n').hexdigest()}


@pytest.mark.slow
def test_end_to_end_two_seeds_on_tiny_demo(tiny_demo_root, tmp_path, capsys):
    wd = str(tmp_path / 'cmp')
    code = _tool().main([DEMO_CFG, DEMO_CFG, '--names', 'base', 'same', '--seeds', '0', '1',
                         '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root),
                         '--curves', 'decode.loss_ce'])
    out = capsys.readouterr()
    assert code == 0, out.err[-3000:]
    assert re.search(r'\| `decode.loss_ce` \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|',
                     _read(osp.join(wd, 'curves.md')))
    for f in ('comparison.md', 'comparison.json', 'comparison.png', 'curves.png'):
        assert osp.isfile(osp.join(wd, f))
    res = json.loads(_read(osp.join(wd, 'comparison.json')))
    assert set(res['pairs']['base']) == set(res['pairs']['same']) == {'0', '1'}
    pair = res['pairs']['same']['1']
    assert 0 <= pair['metrics']['last']['mIoU'] <= 100 and 'IoU.bicycle' in pair['metrics']['last']
    assert osp.isfile(pair['resolved_config'])
    assert pair['checkpoints'] == dict(last=osp.join(wd, 'same', 'seed1', 'iter_2.pth'))
    assert 'randomness = dict(seed=1' in _read(pair['resolved_config'])
    assert '| mIoU |' in _read(osp.join(wd, 'comparison.md'))
