"""UDAIterBasedTrainLoop: both sources at the set ratio, overlap refused, exact resume,
2 processes."""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from ganseg_mm import compat
from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.models.losses import tsa_threshold
from tests.test_tools.test_resume_and_dist import _free_port, _weights
from tests.test_tools.test_train_cli import REPO, _opts, _run
from tests.utils import point_cfg_at_demo

UDA_CFG = 'configs/uda/deeplabv3_r18_uda_demo.py'
RECORDED = []


@HOOKS.register_module(name='_RecordUDABatches', force=True)
class _RecordUDABatches(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        RECORDED.append(dict(
            sup=[s.img_path for s in data_batch['sup']['data_samples']],
            unsup=[s.img_path for s in data_batch['unsup']['data_samples']],
            n_strong=len(data_batch['unsup']['inputs_strong']),
            outputs={k: float(v) for k, v in outputs.items()}))


def _split(root, name):
    with open(osp.join(root, 'splits', name)) as f:
        return {line.strip() for line in f if line.strip()}


def _cfg(root, work_dir, iters=3, **train_cfg):
    cfg = Config.fromfile(osp.join(REPO, UDA_CFG))
    point_cfg_at_demo(cfg, root, work_dir, iters=iters)
    cfg.train_cfg.update(train_cfg)
    cfg.experiment_name = f'uda_{uuid.uuid4().hex[:8]}'
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_cfg.val_interval = 10 ** 6
    compat.adapt_cfg_for_device(cfg)
    return cfg


@pytest.mark.slow
def test_loop_draws_both_sources_every_iteration_at_the_ratio(tiny_uda_root, tmp_path):
    cfg = _cfg(tiny_uda_root, str(tmp_path), iters=3, unsup_ratio=2)
    cfg.train_dataloader.dataset.ann_file = 'splits/1-4_seed0_labeled.txt'
    cfg.train_cfg.unlabeled_dataloader.dataset.dataset.ann_file = \
        'splits/1-4_seed0_unlabeled.txt'
    cfg.model.tsa_schedule = 'linear'
    cfg.model.confidence_threshold = 0.0  # every pixel counts from the start
    cfg.model.rampup_iters = 0
    cfg.custom_hooks = list(cfg.custom_hooks) + [dict(type='_RecordUDABatches')]
    RECORDED.clear()
    Runner.from_cfg(cfg).train()
    labeled = _split(tiny_uda_root, '1-4_seed0_labeled.txt')
    unlabeled = _split(tiny_uda_root, '1-4_seed0_unlabeled.txt')

    def name(p):
        return osp.relpath(p, osp.join(tiny_uda_root, 'leftImg8bit', 'train'))[
            :-len('_leftImg8bit.png')]
    assert len(RECORDED) == 3
    for it, rec in enumerate(RECORDED):
        assert len(rec['sup']) == 2 and len(rec['unsup']) == 4 and rec['n_strong'] == 4
        assert {name(p) for p in rec['sup']} <= labeled
        assert {name(p) for p in rec['unsup']} <= unlabeled
        out = rec['outputs']
        assert out['unsup.loss_consistency'] > 0 and out['unsup.mask_ratio'] == 1.0
        assert out['sup.tsa_threshold'] == pytest.approx(tsa_threshold('linear', it / 3, 19))
        assert out['loss'] == pytest.approx(sum(v for k, v in out.items()
                                                if 'loss' in k and k != 'loss'), rel=1e-5)
    # 3 iterations x 4 = 12 draws cover the 9 unlabeled images (InfiniteSampler)
    assert {name(p) for r in RECORDED for p in r['unsup']} == unlabeled


@pytest.mark.slow
def test_overlapping_sets_are_refused_unless_allowed(tiny_uda_root, tmp_path):
    cfg = _cfg(tiny_uda_root, str(tmp_path / 'a'), iters=1)
    cfg.train_cfg.unlabeled_dataloader.dataset.dataset.ann_file = \
        'splits/1-8_seed0_labeled.txt'
    with pytest.raises(DataValidationError, match='both the labeled and the unlabeled'):
        Runner.from_cfg(cfg).train()
    cfg = _cfg(tiny_uda_root, str(tmp_path / 'b'), iters=1, allow_overlap=True)
    cfg.train_cfg.unlabeled_dataloader.dataset.dataset.ann_file = \
        'splits/1-8_seed0_labeled.txt'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1


def test_unsup_ratio_must_be_a_positive_integer(tiny_uda_root, tmp_path):
    cfg = _cfg(tiny_uda_root, str(tmp_path), iters=1, unsup_ratio=1.5)
    with pytest.raises(ValueError, match='unsup_ratio'):
        Runner.from_cfg(cfg).train()


def _uda_opts(root, iters):
    root = root.rstrip('/') + '/'
    return _opts(root, iters=iters) + [
        f'train_cfg.unlabeled_dataloader.dataset.dataset.data_root={root}',
        'train_cfg.unlabeled_dataloader.num_workers=0',
        'train_cfg.unlabeled_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1']


@pytest.mark.slow
def test_resume_continues_like_an_uninterrupted_run(tiny_uda_root, tmp_path):
    """EMA teacher, TSA and both samplers continue exactly after --resume."""
    full, cut = str(tmp_path / 'full'), str(tmp_path / 'cut')
    config = str(tmp_path / 'uda_ema.py')  # the UDA demo config with an EMA teacher
    with open(config, 'w') as f:
        f.write(f"_base_ = '{osp.join(REPO, UDA_CFG)}'\n"
                "custom_hooks = [dict(type='RandomStateHook'), dict(type='UDATeacherHook')]\n")
    common = _uda_opts(tiny_uda_root, iters=4) + [
        'default_hooks.checkpoint.interval=2', 'model.teacher_ema_decay=0.9',
        'model.tsa_schedule=exp', 'model.confidence_threshold=0.1', 'model.rampup_iters=0',
        'train_cfg.val_interval=1000000']
    p = _run('train', config, '--work-dir', full, '--cfg-options', *common)
    assert p.returncode == 0, p.stderr[-3000:]
    # "crash" right after iteration 2: a work dir holding only that checkpoint
    # (same schedule, so TSA's progress and the lr continue as they were)
    os.makedirs(cut)
    shutil.copy(osp.join(full, 'iter_2.pth'), cut)
    with open(osp.join(cut, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(cut, 'iter_2.pth'))
    p = _run('train', config, '--work-dir', cut, '--resume', '--cfg-options', *common)
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'Advance dataloader 2 steps' in p.stdout + p.stderr
    a, b = _weights(osp.join(full, 'iter_4.pth')), _weights(osp.join(cut, 'iter_4.pth'))
    assert any(k.startswith('ema_teacher.') for k in a)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    # the teacher really averaged (it is not the student)
    w = 'backbone.stem.0.weight'
    assert not torch.equal(a[w], a['ema_teacher.module.' + w])


@pytest.mark.slow
def test_dist_train_uda_two_cpu_processes(tiny_uda_root, tmp_path):
    wd = str(tmp_path / 'dist_uda')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               OMP_NUM_THREADS='1')
    p = subprocess.run(['bash', 'tools/dist_train.sh', UDA_CFG, '2', '--work-dir', wd,
                        '--cfg-options', *_uda_opts(tiny_uda_root, iters=2)],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    logs = ''.join(open(f).read() for f in glob.glob(osp.join(wd, '*', '*.log')))
    assert re.search(r'world_size: 2|GPU number: 2', out + logs), logs[-3000:]
    assert re.search(r'Iter\(train\) \[2/2\].*unsup\.loss_consistency', logs), logs[-3000:]
    assert torch.load(osp.join(wd, 'iter_2.pth'), map_location='cpu')['meta']['iter'] == 2
