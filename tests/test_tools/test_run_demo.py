"""tools/run_demo.py (``make demo``): the order of its steps, their reuse, and
that it measures through tools/compare.py. The trainings themselves are the
other tests' business; here every tool call is recorded, not run."""
import importlib.util
import os
import os.path as osp
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

    def fake_run(*cmd, lanes=1, log_dir=None):
        calls.append(cmd)
        lane_counts.append(lanes)
        if cmd[0] == 'tools/train.py':  # mmengine's record of the last checkpoint
            wd = osp.join(str(tmp_path), cmd[3])
            os.makedirs(wd, exist_ok=True)
            with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(wd, 'ckpt.pth'))
    monkeypatch.setattr(mod, 'ROOT', str(tmp_path))
    monkeypatch.setattr(mod, 'run', fake_run)
    monkeypatch.setattr(mod, 'generate_demo_cityscapes', lambda *a, **k: None)
    lane_counts = []
    mod.lane_counts = lane_counts
    return mod, calls


def _compares(calls):
    """The distinct comparison commands (each runs in lanes, then once for its table)."""
    return list(dict.fromkeys(c for c in calls if c[0] == 'tools/compare.py'))


def test_quick_demo_order_and_comparisons(demo):
    mod, calls = demo
    assert mod.main([]) == 0
    tools = [c[0] for c in calls]
    # splits and the GAN-augmentation set before any comparison; the DatasetGAN
    # annotator (the seed-0 baseline) trained before DatasetGAN's set is made
    first_compare = tools.index('tools/compare.py')
    assert tools.index('tools/make_splits.py') < first_compare
    assert tools.index('tools/ganaug/synthesize.py') < first_compare
    annotate = next(c for c in calls if c[0] == 'tools/datasetgan/annotate_with_segmenter.py')
    assert annotate[2] == 'work_dirs/demo/all-labels/baseline/seed0'
    assert tools.index('tools/datasetgan/annotate_with_segmenter.py') > first_compare
    comps = _compares(calls)
    assert len(comps) == 3
    last_two = {c[c.index('--work-dir') + 1]: c for c in comps[1:]}
    assert set(last_two) == {'work_dirs/demo/all-labels', 'work_dirs/demo/1-8-labels'}
    allc = last_two['work_dirs/demo/all-labels']
    names = allc[allc.index('--names') + 1:allc.index('--seeds')]
    assert names == ('baseline', 'cegu', 'ganaug', 'datasetgan')
    assert allc[allc.index('--seeds') + 1:allc.index('--work-dir')] == ('0', )
    assert f'train_cfg.max_iters={mod.QUICK["iters"]}' in allc
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
    assert len(full) == 2  # the annotator's first seed, then the comparison
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
        d.mkdir(parents=True)
    calls.clear()
    mod.main(['--full'])
    assert len(_gan_trainings(calls)) == 2  # the quick GANs do not serve the full run
    assert old_pairs['baseline'].is_dir()  # it read no GAN set
    assert not old_pairs['ganaug'].exists() and not old_pairs['datasetgan'].exists()
    calls.clear()
    mod.main([])  # the full run's GANs serve the quick run
    assert not _gan_trainings(calls)


def test_comparisons_run_in_lanes_then_print_the_table(demo):
    mod, calls = demo
    mod.main([])
    comps = [(c, k) for c, k in zip(calls, mod.lane_counts) if c[0] == 'tools/compare.py']
    # each comparison: once in 2 lanes (the pairs), once in 1 (the table, all pairs found done)
    assert [k for _, k in comps] == [2, 1] * 3
    assert all(comps[i][0] == comps[i + 1][0] for i in range(0, 6, 2))
    calls.clear()
    mod.lane_counts.clear()
    mod.main(['--lanes', '1'])
    assert set(mod.lane_counts) == {1} and len(_compares(calls)) == 3


# a stand-in for tools/compare.py's lanes: the first process claims the work and
# runs long, the second finds it claimed; FAIL=1 makes the second exit 1
LANE = textwrap.dedent('''
    import os, sys, time
    with open('threads.txt', 'a') as f:
        f.write(os.environ.get('OMP_NUM_THREADS', '-') + '\\n')
    try:
        os.close(os.open('claim', os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        print('lane found the work claimed')
        sys.exit(int(os.environ.get('FAIL', '0')))
    try:
        time.sleep(float(os.environ.get('NAP', '0')))
    except KeyboardInterrupt:
        open('interrupted', 'w').close()
        sys.exit(130)
''')


@pytest.fixture
def lane_tool(demo, tmp_path, monkeypatch):
    mod, _ = demo
    monkeypatch.setattr(mod, 'run', mod.real_run)
    (tmp_path / 'lane.py').write_text(LANE)
    return mod


def test_lanes_split_the_threads_and_log_the_others(lane_tool, tmp_path, monkeypatch):
    monkeypatch.setattr(os, 'cpu_count', lambda: 4)
    lane_tool.run('lane.py', lanes=2, log_dir='cmp')
    assert (tmp_path / 'threads.txt').read_text().split() == ['2', '2']
    assert (tmp_path / 'cmp' / 'lane1.log').is_file()  # lane 0 prints to the terminal
    lane_tool.run('lane.py')  # one lane: the environment's threads, nothing logged
    assert (tmp_path / 'threads.txt').read_text().split()[-1] == \
        os.environ.get('OMP_NUM_THREADS', '-')


def test_a_failed_lane_stops_the_others_and_the_demo(lane_tool, tmp_path, monkeypatch):
    monkeypatch.setenv('FAIL', '1')
    monkeypatch.setenv('NAP', '60')
    t0 = time.time()
    with pytest.raises(SystemExit, match='demo step above failed.*lane logs: cmp'):
        lane_tool.run('lane.py', lanes=2, log_dir='cmp')
    assert time.time() - t0 < 30  # not the 60 s nap: the sleeper was interrupted
    assert (tmp_path / 'interrupted').is_file()
