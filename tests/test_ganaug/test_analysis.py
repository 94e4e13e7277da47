"""Analysis helpers: frequencies, IoU table, rank correlation, GAN colour error."""
import math

import cv2
import numpy as np
import pytest
import torch

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.ganaug.analysis import (class_frequencies, gan_colour_error, iou_table,
                                       rank_correlation)
from tests.test_ganaug.ganaug_helpers import demo_files


def test_frequencies_count_repeats():
    table = np.array([[6, 0, 2], [0, 4, 0]])
    one = class_frequencies(table)
    assert one == dict(pixels=[6, 4, 2], frequency=[0.5, 4 / 12, 2 / 12], images=[1, 1, 1],
                       num_images=2)
    two = class_frequencies(table[[0, 1, 0]])  # a mixed dataset lists sample 0 twice
    assert two['pixels'] == [12, 4, 4] and two['images'] == [2, 1, 2]
    assert two['num_images'] == 3 and math.isclose(sum(two['frequency']), 1)
    assert class_frequencies(np.zeros((1, 2), np.int64))['frequency'] == [0, 0]  # all ignored


def test_frequencies_need_a_table():
    with pytest.raises(ValueError, match='samples, classes'):
        class_frequencies(np.zeros(3))


def test_iou_table():
    assert iou_table({'IoU.a': 50.0, 'IoU.b': None}, ['a', 'b'])[0] == 50.0
    assert math.isnan(iou_table({'IoU.a': 50.0, 'IoU.b': None}, ['a', 'b'])[1])


def test_iou_table_of_mmseg_iou_metric_names_file_and_fix():
    with pytest.raises(DataValidationError) as e:  # what mmseg's IoUMetric writes
        iou_table({'aAcc': 90.0, 'mIoU': 30.0, 'mAcc': 40.0}, ['a'], 'm.json')
    msg = str(e.value)
    assert msg.startswith('m.json: no per-class IoU') and 'aAcc, mAcc, mIoU' in msg
    assert '--cfg-options test_evaluator.type=PerClassIoUMetric' in msg and '\n' not in msg


def test_iou_table_of_other_classes():
    with pytest.raises(DataValidationError, match=r'm.json: .*IoU.x.* other classes'):
        iou_table({'IoU.x': 1.0}, ['a'], 'm.json')


def test_iou_table_of_a_non_dict():
    with pytest.raises(DataValidationError, match='m.json: not a metrics dict'):
        iou_table([1, 2], ['a'], 'm.json')


def test_rank_correlation():
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, float('nan')]) == (
        pytest.approx(1.0), 3, '')
    assert rank_correlation([1, 2, 3], [3, 2, 1]).rho == pytest.approx(-1.0)


def test_rank_correlation_of_ties_is_spearmans():
    """Tied IoUs (e.g. several rare classes at 0) share their average rank: ranks
    x 5 4 3 2 1, y 5 4 2 2 2 give 8 / sqrt(10 * 8) = 2 / sqrt(5) (0.7 if ties
    were ranked by position)."""
    from scipy.stats import spearmanr
    freq, iou = [0.5, 0.2, 0.1, 0.05, 0.01], [80.0, 60.0, 0.0, 0.0, 0.0]
    got = rank_correlation(freq, iou)
    assert got.rho == pytest.approx(2 / math.sqrt(5))
    assert got.rho == pytest.approx(spearmanr(freq, iou).statistic)
    ties_both = ([0.0, 0.0, 0.1, 0.3, 0.3, 0.5], [0.0, 10.0, 0.0, 40.0, 40.0, 20.0])
    assert rank_correlation(*ties_both).rho == pytest.approx(spearmanr(*ties_both).statistic)


def test_rank_correlation_undefined_is_nan_with_a_reason():
    const = rank_correlation([0.1, 0.2, 0.3], [0.0, 0.0, 0.0], names=('frequency', 'IoU'))
    assert math.isnan(const.rho) and const.note == 'IoU constant over the 3 pairs'
    few = rank_correlation([0.1, 0.2, 0.3], [1.0, float('nan'), 2.0])
    assert math.isnan(few.rho) and few.n == 2 and 'only 2 pairs' in few.note


def test_rank_correlation_needs_equal_lengths():
    with pytest.raises(ValueError, match='same length'):
        rank_correlation([1, 2, 3], [1, 2])


def test_gan_colour_error_of_a_grey_generator(tiny_demo_root):
    files = demo_files(tiny_demo_root)[:2]
    grey = lambda cond: torch.zeros(cond.shape[0], 3, *cond.shape[2:])  # noqa: E731  128 as uint8
    err = gan_colour_error(grey, dict(num_classes=19, ignore_index=255, use_instance=True),
                           files, batch_size=1)
    img = np.concatenate([cv2.imread(p)[..., ::-1].reshape(-1, 3) for p, _ in files])
    lab = np.concatenate([cv2.imread(s, cv2.IMREAD_UNCHANGED).ravel() for _, s in files])
    for c in (0, 10):
        want = np.abs(128 - img[lab == c].astype(float).mean(0)).mean()
        assert err[str(c)] == pytest.approx(want)
