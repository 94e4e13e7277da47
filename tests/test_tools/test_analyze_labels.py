"""tools/ganaug/analyze_labels.py with the metrics files tools/test.py writes: the
documented recipe (PerClassIoUMetric) and mmseg's IoUMetric (no per-class IoU)."""
import importlib.util
import json
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmseg.datasets import CityscapesDataset

from tests.test_ganaug.ganaug_helpers import demo_files

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_DEMO = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')
CLASSES = CityscapesDataset.METAINFO['classes']


def _main():
    path = osp.join(REPO, 'tools', 'ganaug', 'analyze_labels.py')
    spec = importlib.util.spec_from_file_location('analyze_labels', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _val(root):
    return ['--split', 'val', '--cfg-options', f'val_dataloader.dataset.data_root={root}/']


def _write(path, metrics):
    path.write_text(json.dumps(metrics, indent=1))
    return str(path)


def _per_class(ious):
    """A metrics file as tools/test.py --metrics-out writes it with PerClassIoUMetric."""
    out = dict(aAcc=90.0, mIoU=30.0, mAcc=40.0)
    out.update({f'IoU.{n}': v for n, v in zip(CLASSES, ious)})
    return out


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ')
    return err[0]


def test_iou_metric_file_is_one_clear_error(tiny_demo_root, tmp_path, capsys):
    metrics = _write(tmp_path / 'metrics.json', dict(aAcc=90.0, mIoU=30.0, mAcc=40.0))
    out = tmp_path / 'ana'
    assert _main()([SEG_DEMO, '--out', str(out), '--metrics', metrics]
                   + _val(tiny_demo_root)) == 2
    line = _error_line(capsys)
    assert line.startswith(f'error: {metrics}: no per-class IoU')
    assert '--cfg-options test_evaluator.type=PerClassIoUMetric' in line
    assert not out.exists()  # checked before the label maps are counted


def test_unreadable_metrics_file_is_one_clear_error(tiny_demo_root, tmp_path, capsys):
    bad = tmp_path / 'metrics.json'
    bad.write_text('{"aAcc": 9')  # cut short
    assert _main()([SEG_DEMO, '--out', str(tmp_path / 'ana'), '--metrics', str(bad)]
                   + _val(tiny_demo_root)) == 2
    assert _error_line(capsys) == f'error: {bad}: not a readable metrics JSON (JSONDecodeError)'


def test_recipe_with_per_class_iou(tiny_demo_root, tmp_path, capsys):
    from scipy.stats import spearmanr
    ious = [float(i % 4) * 10 for i in range(len(CLASSES))]  # ties, as rare classes at 0
    ious[-1] = None  # a class absent from prediction and ground truth
    metrics = _write(tmp_path / 'metrics.json', _per_class(ious))
    out = tmp_path / 'ana'
    assert _main()([SEG_DEMO, '--out', str(out), '--metrics', metrics]
                   + _val(tiny_demo_root)) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    with open(out / 'class_frequencies.json') as f:
        freq = json.load(f)
    labels = [cv2.imread(s, cv2.IMREAD_UNCHANGED) for _, s in demo_files(tiny_demo_root, 'val')]
    want = sum(np.bincount(lab.ravel(), minlength=256)[:len(CLASSES)] for lab in labels)
    assert freq['pixels'] == want.tolist() and freq['num_images'] == len(labels)
    rho = spearmanr(freq['frequency'][:-1], ious[:-1]).statistic
    assert freq['spearman_freq_iou'] == pytest.approx(rho)
    assert freq['iou'][-1] is None and freq['spearman_pairs'] == len(CLASSES) - 1
    assert printed['spearman_freq_iou'] == round(rho, 3)
    assert cv2.imread(printed['plot']) is not None
    cached = [f for f in os.listdir(out) if f.startswith('class_pixels_')]
    assert len(cached) == 1  # a rerun reads the counts from here


def test_constant_iou_gives_no_correlation_and_says_why(tiny_demo_root, tmp_path, capsys):
    metrics = _write(tmp_path / 'metrics.json', _per_class([0.0] * len(CLASSES)))
    out = tmp_path / 'ana'
    assert _main()([SEG_DEMO, '--out', str(out), '--metrics', metrics]
                   + _val(tiny_demo_root)) == 0
    cap = capsys.readouterr()
    assert 'warning: Spearman correlation of frequency and IoU undefined: IoU constant' in cap.err
    assert json.loads(cap.out.strip().splitlines()[-1])['spearman_freq_iou'] is None
    with open(out / 'class_frequencies.json') as f:
        assert json.load(f)['spearman_freq_iou'] is None


def test_repeated_samples_count_every_time(tiny_demo_root, tmp_path, capsys):
    """A wrapper listing the split twice counts every pixel twice (as a
    GANAugmentedDataset counts its repeats)."""
    split = ("dict(type='CityscapesDataset', data_root='%s', data_prefix=dict("
             "img_path='leftImg8bit/val', seg_map_path='gtFine/val'))" % tiny_demo_root)
    cfg = tmp_path / 'twice.py'
    cfg.write_text(f"_base_ = '{SEG_DEMO}'\nval_dataloader = dict(dataset=dict(_delete_=True, "
                   f"type='ConcatDataset', datasets=[{split}, {split}]))\n")
    counts = []
    for name, args in (('once', [SEG_DEMO] + _val(tiny_demo_root)),
                       ('twice', [str(cfg), '--split', 'val'])):
        assert _main()(args + ['--out', str(tmp_path / name)]) == 0
        with open(tmp_path / name / 'class_frequencies.json') as f:
            counts.append(json.load(f))
    once, twice = counts
    assert twice['num_images'] == 2 * once['num_images']
    assert twice['pixels'] == [2 * p for p in once['pixels']]
    assert all(math.isclose(a, b) for a, b in zip(twice['frequency'], once['frequency']))
