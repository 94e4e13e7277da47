"""tools/run_demo.py (``make demo``): the order of its steps, their reuse, and
that it measures through tools/compare.py. The trainings themselves are the
other tests' business; here every tool call is recorded, not run."""
import importlib.util
import os
import os.path as osp
import signal
import textwrap
import time

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def demo(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'run_demo_tool', osp.join(REPO, 'tools/run_demo.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.real_run = mod.run
    calls = []

    def fake_run(*cmd):
        calls.append(cmd)
        lane_logs.append(getattr(mod._lane, 'log', None))
        if cmd[0] == 'tools/compare.py':  # every pair finished
            wd = cmd[cmd.index('--work-dir') + 1]
            for name in _names(cmd):
                for seed in cmd[cmd.index('--seeds') + 1:cmd.index('--work-dir')]:
                    d = tmp_path / wd / name / f'seed{seed}'
                    d.mkdir(parents=True, exist_ok=True)
                    (d / 'result.json').write_text('{}')
        if cmd[0] == 'tools/train.py':  # mmengine's record of the last checkpoint
            wd = osp.join(str(tmp_path), cmd[3])
            os.makedirs(wd, exist_ok=True)
            with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(wd, 'ckpt.pth'))
    monkeypatch.setattr(mod, 'ROOT', str(tmp_path))
    monkeypatch.setattr(mod, 'run', fake_run)
    monkeypatch.setattr(mod, 'generate_demo_cityscapes', lambda *a, **k: None)
    lane_logs = []  # per call: the log file of the lane it ran in (None: the terminal)
    mod.lane_logs = lane_logs
    return mod, calls


def _compares(calls):
    """The distinct comparison commands (lanes may run one several times)."""
    return list(dict.fromkeys(c for c in calls if c[0] == 'tools/compare.py'))


def _names(c):
    return c[c.index('--names') + 1:c.index('--seeds')]


def _first(calls, pred):
    return next(i for i, c in enumerate(calls) if pred(c))


def test_quick_demo_order_and_comparisons(demo):
    mod, calls = demo
    assert mod.main([]) == 0
    tools = [c[0] for c in calls]
    assert tools[0] == 'tools/make_splits.py'
    # what each step reads is made before it: the annotator (the seed-0 baseline) before
    # the annotation, both GAN sets before the comparison that trains on them
    annotator = _first(calls, lambda c: c[0] == 'tools/compare.py' and 'baseline' in _names(c))
    annotate = _first(calls, lambda c: c[0] == 'tools/datasetgan/annotate_with_segmenter.py')
    assert annotator < annotate
    assert calls[annotate][2] == 'work_dirs/demo/all-labels/baseline/seed0'
    full = _first(calls, lambda c: c[0] == 'tools/compare.py' and 'datasetgan' in _names(c))
    assert tools.index('tools/ganaug/synthesize.py') < full
    assert tools.index('tools/datasetgan/generate_dataset.py') < full
    comps = _compares(calls)
    by_dir = {}
    for c in comps:
        by_dir.setdefault(c[c.index('--work-dir') + 1], []).append(_names(c))
    assert by_dir == {'work_dirs/demo/all-labels': [('baseline', 'cegu'),
                                                    ('baseline', 'cegu', 'ganaug', 'datasetgan')],
                      'work_dirs/demo/1-8-labels': [('sup-1-8', 'uda-1-8')]}
    allc = comps[[_names(c) for c in comps].index(('baseline', 'cegu', 'ganaug', 'datasetgan'))]
    assert allc[allc.index('--seeds') + 1:allc.index('--work-dir')] == ('0', )
    iters = mod.QUICK['iters']
    assert f'train_cfg.max_iters={iters}' in allc
    assert f'train_cfg.val_begin={iters + 1}' in allc  # the test step evaluates instead
    for name, config in mod.COMPARISONS['all-labels'] + mod.COMPARISONS['1-8-labels']:
        assert osp.isfile(osp.join(REPO, config)), config


def test_rerun_reuses_prepared_steps(demo):
    mod, calls = demo
    mod.main([])
    calls.clear()
    mod.main([])
    assert {c[0] for c in calls} == {'tools/compare.py'}  # the GAN sides are kept


def _gan_trainings(calls):
    return {c[1]: c for c in calls if c[0] == 'tools/train.py' and 'demo_gans' in c[3]
            and 'interpreter' not in c[3]}


def test_full_demo_three_seeds_configs_own_schedules(demo):
    mod, calls = demo
    mod.main(['--full'])
    full = [c for c in _compares(calls) if 'work_dirs/demo-full/all-labels' in c]
    assert len(full) == 2  # the annotator and CEGU on the first seed, then the comparison
    first, c = full
    assert first[first.index('--seeds') + 1:first.index('--work-dir')] == ('0', )
    assert c[c.index('--seeds') + 1:c.index('--work-dir')] == ('0', '1', '2')
    assert not any(str(a).startswith('train_cfg.max_iters') for a in c)
    gans = _gan_trainings(calls)
    assert len(gans) == 2 and not any('--cfg-options' in g for g in gans.values())
    # its own first-seed baseline annotates DatasetGAN's samples, not the quick run's
    annotate = next(c for c in calls if c[0] == 'tools/datasetgan/annotate_with_segmenter.py')
    assert annotate[2] == 'work_dirs/demo-full/all-labels/baseline/seed0'


def test_quick_demo_shortens_the_gans(demo):
    mod, calls = demo
    mod.main([])
    gans = _gan_trainings(calls)
    assert set(gans) == {'configs/ganaug/pix2pixhd_demo.py',
                         'configs/datasetgan/stylegan2_64_demo.py'}
    for cfg, key in (('configs/ganaug/pix2pixhd_demo.py', 'pix2pixhd'),
                     ('configs/datasetgan/stylegan2_64_demo.py', 'stylegan2')):
        assert f'train_cfg.max_iters={mod.QUICK["gan_iters"][key]}' in gans[cfg]
    # the StyleGAN2 checkpoint the later steps read is the one its training recorded
    samples = next(c for c in calls if c[0] == 'tools/datasetgan/generate_samples.py')
    assert samples[2].endswith('demo_gans/datasetgan/stylegan2/ckpt.pth')


def test_full_after_quick_remakes_the_gan_sets_and_drops_their_pairs(demo, tmp_path):
    mod, calls = demo
    mod.main([])
    old_pairs = {n: tmp_path / 'work_dirs/demo/all-labels' / n / 'seed0'
                 for n in ('baseline', 'ganaug', 'datasetgan')}
    for d in old_pairs.values():
        d.mkdir(parents=True, exist_ok=True)
    calls.clear()
    mod.main(['--full'])
    assert len(_gan_trainings(calls)) == 2  # the quick GANs do not serve the full run
    assert 'tools/make_splits.py' not in [c[0] for c in calls]  # the splits do
    assert old_pairs['baseline'].is_dir()  # it read no GAN set
    assert not old_pairs['ganaug'].exists() and not old_pairs['datasetgan'].exists()
    calls.clear()
    mod.main([])  # the full run's GANs serve the quick run
    assert not _gan_trainings(calls)


def test_lanes_split_the_steps_then_print_each_table(demo):
    mod, calls = demo
    mod.main([])
    lane = dict(zip(calls, mod.lane_logs))
    gans = _gan_trainings(calls)
    # the GANs train in lane 1 while lane 0 (this terminal) trains the annotator
    assert all(lane[g] and lane[g].endswith('work_dirs/demo/lanes/lane1.log')
               for g in gans.values())
    assert lane[next(c for c in calls if c[0] == 'tools/compare.py')] is None
    # the last calls: each comparison once more, here, with every pair done
    tail = list(zip(calls, mod.lane_logs))[-2:]
    assert [c[c.index('--work-dir') + 1] for c, _ in tail] == \
        ['work_dirs/demo/all-labels', 'work_dirs/demo/1-8-labels']
    assert all(log is None for _, log in tail)
    calls.clear()
    mod.lane_logs.clear()
    mod.main(['--lanes', '1', '--work-dir', 'work_dirs/one'])
    assert set(mod.lane_logs) == {None}
    assert len(_compares(calls)) == 3  # the first seed, all-labels, 1-8: each once
    assert len(calls) == len(set(calls))


# a stand-in for tools/compare.py's lanes: the first process claims the work and
# runs long, the second finds it claimed; FAIL=1 makes the second exit 1
LANE = textwrap.dedent('''
    import os, sys, time
    with open('threads.txt', 'a') as f:
        f.write(os.environ.get('OMP_NUM_THREADS', '-') + '\\n')
    print('lane output', flush=True)
    try:
        os.close(os.open(os.environ.get('CLAIM', 'claim'), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        print('lane found the work claimed')
        sys.exit(int(os.environ.get('FAIL', '0')))
    if os.environ.get('CHILD'):  # a training the tool started: stopped with it
        import subprocess
        subprocess.Popen([sys.executable, __file__], env=dict(os.environ, CHILD='', CLAIM='child'))
    try:
        time.sleep(float(os.environ.get('NAP', '0')))
    except KeyboardInterrupt:
        open(os.environ.get('CLAIM', 'claim') + '-interrupted', 'w').close()
        sys.exit(130)
''')


@pytest.fixture
def lane_tool(demo, tmp_path, monkeypatch):
    mod, _ = demo
    monkeypatch.setattr(mod, 'run', mod.real_run)
    (tmp_path / 'lane.py').write_text(LANE)
    return mod


def _lane_jobs(mod, n):
    return [lambda: mod.run('lane.py')] * n


def test_lanes_split_the_threads_and_log_the_others(lane_tool, tmp_path, monkeypatch):
    monkeypatch.setattr(os, 'cpu_count', lambda: 4)
    lane_tool.lanes(_lane_jobs(lane_tool, 2), 'cmp')
    assert (tmp_path / 'threads.txt').read_text().split() == ['2', '2']
    # lane 0 prints to the terminal, lane 1 to its log: the command, its output, its time
    log = (tmp_path / 'cmp' / 'lane1.log').read_text()
    assert '+ lane.py' in log and 'lane output' in log and 'done in' in log
    assert not (tmp_path / 'cmp' / 'lane0.log').exists()
    lane_tool.run('lane.py')  # outside lanes: the environment's threads, nothing logged
    assert (tmp_path / 'threads.txt').read_text().split()[-1] == \
        os.environ.get('OMP_NUM_THREADS', '-')


def test_a_failed_lane_stops_the_others_and_the_demo(lane_tool, tmp_path, monkeypatch):
    monkeypatch.setenv('FAIL', '1')
    monkeypatch.setenv('NAP', '60')
    t0 = time.time()
    with pytest.raises(SystemExit, match='demo step failed: lane.py'):
        lane_tool.lanes(_lane_jobs(lane_tool, 2), 'cmp')
    assert time.time() - t0 < 30  # not the 60 s nap: the sleeper was interrupted
    assert (tmp_path / 'claim-interrupted').is_file()


def _wait_file(p, timeout=10):
    t0 = time.time()
    while not p.is_file() and time.time() - t0 < timeout:
        time.sleep(0.2)
    return p.is_file()


def test_a_failed_lane_stops_what_the_others_started(lane_tool, tmp_path, monkeypatch):
    # started with SIGINT ignored (a background job of a script), the tool and the
    # training it started are stopped all the same, gently (not killed after GRACE)
    monkeypatch.setenv('FAIL', '1')
    monkeypatch.setenv('NAP', '60')
    monkeypatch.setenv('CHILD', '1')
    monkeypatch.setattr(lane_tool, 'GRACE', 5)
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        lane_tool.restore_sigint()
        with pytest.raises(SystemExit, match='demo step failed'):
            lane_tool.lanes(_lane_jobs(lane_tool, 2), 'cmp')
    finally:
        signal.signal(signal.SIGINT, old)
    assert (tmp_path / 'claim-interrupted').is_file()
    assert _wait_file(tmp_path / 'child-interrupted')
