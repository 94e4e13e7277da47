"""tools/run_demo.py (``make demo``): the order of its steps, their reuse, and
that it measures through tools/compare.py. The trainings themselves are the
other tests' business; here every tool call is recorded, not run."""
import importlib.util
import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def demo(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'run_demo_tool', osp.join(REPO, 'tools/run_demo.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    calls = []

    def fake_run(*cmd):
        calls.append(cmd)
        if cmd[:2] == ('tools/train.py', 'configs/ganaug/pix2pixhd_demo.py'):
            wd = osp.join(str(tmp_path), cmd[3])
            os.makedirs(wd, exist_ok=True)
            with open(osp.join(wd, 'last_checkpoint'), 'w') as f:
                f.write('ckpt.pth')
    monkeypatch.setattr(mod, 'ROOT', str(tmp_path))
    monkeypatch.setattr(mod, 'run', fake_run)
    monkeypatch.setattr(mod, 'generate_demo_cityscapes', lambda *a, **k: None)
    return mod, calls


def _compares(calls):
    return [c for c in calls if c[0] == 'tools/compare.py']


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
    assert 'train_cfg.max_iters=300' in allc
    for name, config in mod.COMPARISONS['all-labels'] + mod.COMPARISONS['1-8-labels']:
        assert osp.isfile(osp.join(REPO, config)), config


def test_rerun_reuses_prepared_steps(demo):
    mod, calls = demo
    mod.main([])
    calls.clear()
    mod.main([])
    assert {c[0] for c in calls} == {'tools/compare.py'}  # the GAN sides are kept


def test_full_demo_three_seeds_configs_own_schedules(demo):
    mod, calls = demo
    mod.main(['--full'])
    full = [c for c in _compares(calls) if 'work_dirs/demo-full/all-labels' in c]
    assert len(full) == 1
    c = full[0]
    assert c[c.index('--seeds') + 1:c.index('--work-dir')] == ('0', '1', '2')
    assert not any(str(a).startswith('train_cfg.max_iters') for a in c)
