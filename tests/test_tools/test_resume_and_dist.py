"""--resume continues exactly; tools/dist_train.sh really trains with 2 processes."""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest
import torch

from tests.test_tools.test_train_cli import DEMO_CFG, REPO, _opts, _run


def _weights(path):
    return torch.load(path, map_location='cpu')['state_dict']


@pytest.mark.slow
def test_resume_continues_like_an_uninterrupted_run(tiny_demo_root, tmp_path):
    full, cut = str(tmp_path / 'full'), str(tmp_path / 'cut')
    common = _opts(tiny_demo_root, iters=4) + ['default_hooks.checkpoint.interval=2']
    p = _run('train', DEMO_CFG, '--work-dir', full, '--cfg-options', *common)
    assert p.returncode == 0, p.stderr[-3000:]
    # "crash" after iteration 2: same schedule, the run simply stops at 2
    p = _run('train', DEMO_CFG, '--work-dir', cut, '--cfg-options', *common,
             'train_cfg.max_iters=2')
    assert p.returncode == 0, p.stderr[-3000:]
    p = _run('train', DEMO_CFG, '--work-dir', cut, '--resume', '--cfg-options', *common)
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'resumed' in (p.stdout + p.stderr).lower()
    a, b = _weights(osp.join(full, 'iter_4.pth')), _weights(osp.join(cut, 'iter_4.pth'))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    ckpt = torch.load(osp.join(cut, 'iter_4.pth'), map_location='cpu')
    assert ckpt['meta']['iter'] == 4


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_dist_train_two_cpu_processes(tiny_demo_root, tmp_path):
    wd = str(tmp_path / 'dist')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               OMP_NUM_THREADS='1')
    p = subprocess.run(['bash', 'tools/dist_train.sh', DEMO_CFG, '2', '--work-dir', wd,
                        '--cfg-options', *_opts(tiny_demo_root, iters=3),
                        'default_hooks.logger.interval=1'],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    assert re.search(r'Distributed training: True', out), out[-3000:]
    assert re.search(r'world_size: 2|GPU number: 2', out), out[-3000:]
    ckpt = torch.load(osp.join(wd, 'iter_3.pth'), map_location='cpu')
    assert ckpt['meta']['iter'] == 3
    assert re.search(r'Iter\(train\) \[3/3\]', out), out[-3000:]


def _dist_train(work_dir, *opts, resume=False):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               OMP_NUM_THREADS='1')
    p = subprocess.run(['bash', 'tools/dist_train.sh', DEMO_CFG, '2', '--work-dir', work_dir,
                        *(['--resume'] if resume else []), '--cfg-options', *opts],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
    return p


@pytest.mark.slow
def test_dist_resume_restores_each_ranks_own_random_state(tiny_demo_root, tmp_path):
    """2 processes with per-rank seeds (so their dropout masks differ): a run
    stopped at iteration 2 and resumed ends with the weights of an
    uninterrupted run. Restoring rank 0's generator on both ranks does not."""
    full, cut = str(tmp_path / 'full'), str(tmp_path / 'cut')
    common = _opts(tiny_demo_root, iters=4) + ['default_hooks.checkpoint.interval=2',
                                               'randomness.diff_rank_seed=True']
    _dist_train(full, *common)
    _dist_train(cut, *common, 'train_cfg.max_iters=2')
    saved = torch.load(osp.join(cut, 'iter_2.pth'), map_location='cpu')['random_state']
    assert len(saved['ranks']) == 2
    assert not torch.equal(saved['ranks'][0]['torch'], saved['ranks'][1]['torch'])
    _dist_train(cut, *common, resume=True)
    a, b = _weights(osp.join(full, 'iter_4.pth')), _weights(osp.join(cut, 'iter_4.pth'))
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.mark.slow
def test_dist_train_cegu_keeps_discriminators_identical(tiny_demo_root, tmp_path):
    wd = str(tmp_path / 'dist_cegu')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               OMP_NUM_THREADS='1')
    p = subprocess.run(['bash', 'tools/dist_train.sh', 'configs/cegu/deeplabv3_r18_cegu_demo.py',
                        '2', '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root, iters=3),
                        'custom_hooks.1.warmup_iters=1', 'custom_hooks.1.sync_check_interval=1'],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    state = torch.load(osp.join(wd, 'iter_3.pth'), map_location='cpu')['cegu_discriminator']
    # every iteration the ranks compared their discriminators (else an error)
    assert state['world_size'] == 2 and state['step'] == 3 and state['synced_at_iter'] == 3


@pytest.mark.slow
def test_dist_test_two_processes_matches_single_process(tiny_demo_root, tmp_path):
    import json
    wd = str(tmp_path / 'wd')
    p = _run('train', DEMO_CFG, '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root))
    assert p.returncode == 0, p.stderr[-3000:]
    ckpt = osp.join(wd, 'iter_2.pth')
    single, dist = str(tmp_path / 'single.json'), str(tmp_path / 'dist.json')
    p = _run('test', DEMO_CFG, ckpt, '--work-dir', wd, '--metrics-out', single,
             '--cfg-options', *_opts(tiny_demo_root))
    assert p.returncode == 0, p.stderr[-3000:]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1')
    p = subprocess.run(['bash', 'tools/dist_test.sh', DEMO_CFG, ckpt, '2', '--work-dir', wd,
                        '--metrics-out', dist, '--cfg-options', *_opts(tiny_demo_root)],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
    a, b = json.load(open(single)), json.load(open(dist))
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], abs=0.011) if a[k] is not None else b[k] is None, k
