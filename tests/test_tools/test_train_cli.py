"""tools/train.py and tools/test.py as a user runs them, including bad input."""
import glob
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CFG = 'configs/baseline/deeplabv3_r18_demo.py'


def _opts(root, iters=2, workers=0):
    root = root.rstrip('/') + '/'
    o = []
    for d in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        o += [f'{d}.dataset.data_root={root}', f'{d}.num_workers={workers}',
              f'{d}.persistent_workers={workers > 0}']
    return o + [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                f'default_hooks.checkpoint.interval={iters}']


def _run(tool, *args):
    return subprocess.run([sys.executable, f'tools/{tool}.py', *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def _assert_one_line_error(proc, pattern):
    assert proc.returncode == 2, proc.stderr[-3000:]
    err = proc.stderr.strip().splitlines()
    assert err[-1].startswith('error: '), proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    import re
    assert re.search(pattern, err[-1]), err[-1]


def test_missing_data_root(tmp_path):
    p = _run('train', DEMO_CFG, '--work-dir', str(tmp_path),
             '--cfg-options', *_opts(str(tmp_path / 'no_such_root')))
    _assert_one_line_error(
        p, r"train_dataloader.dataset: data_root '.*no_such_root/' does not exist")


@pytest.mark.slow
def test_bad_label_id_inside_worker_names_the_file(demo_copy, tmp_path):
    for f in glob.glob(osp.join(demo_copy, 'gtFine/train/*/*labelTrainIds.png')):
        lab = cv2.imread(f, cv2.IMREAD_UNCHANGED)
        lab[:8, :8] = 40
        cv2.imwrite(f, lab)
    p = _run('train', DEMO_CFG, '--work-dir', str(tmp_path / 'wd'),
             '--cfg-options', *_opts(demo_copy, workers=2))
    _assert_one_line_error(p, r'_gtFine_labelTrainIds.png: label ids \[40\] are outside 0..18')


@pytest.mark.slow
def test_size_mismatch_names_the_file(demo_copy, tmp_path):
    for f in glob.glob(osp.join(demo_copy, 'gtFine/train/*/*labelTrainIds.png')):
        cv2.imwrite(f, cv2.imread(f, cv2.IMREAD_UNCHANGED)[:100])
    p = _run('train', DEMO_CFG, '--work-dir', str(tmp_path / 'wd'),
             '--cfg-options', *_opts(demo_copy))
    _assert_one_line_error(p, r'label map is 100x256 but its image .*_leftImg8bit.png is 128x256')


@pytest.mark.slow
def test_train_then_test_writes_per_class_metrics(tiny_demo_root, tmp_path):
    wd = str(tmp_path / 'wd')
    p = _run('train', DEMO_CFG, '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root))
    assert p.returncode == 0, p.stderr[-3000:]
    out = str(tmp_path / 'metrics.json')
    p = _run('test', DEMO_CFG, osp.join(wd, 'iter_2.pth'), '--work-dir', wd,
             '--metrics-out', out, '--cfg-options', *_opts(tiny_demo_root))
    assert p.returncode == 0, p.stderr[-3000:]
    m = json.load(open(out))
    assert 0 <= m['mIoU'] <= 100 and 'IoU.road' in m and 'IoU.bicycle' in m
    ious = [v for k, v in m.items() if k.startswith('IoU.') and v is not None]
    assert abs(np.mean(ious) - m['mIoU']) < 0.01


def test_test_tool_missing_checkpoint(tmp_path):
    p = _run('test', DEMO_CFG, str(tmp_path / 'nope.pth'))
    _assert_one_line_error(p, r'nope.pth: checkpoint not found')
