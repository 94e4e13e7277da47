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


def test_frequencies_count_repeats(tiny_demo_root):
    files = [s for _, s in demo_files(tiny_demo_root)][:2]
    one = class_frequencies(files, 19, progress=False)
    two = class_frequencies(files + files[:1], 19, progress=False)
    lab = cv2.imread(files[0], cv2.IMREAD_UNCHANGED)
    extra = np.bincount(lab.ravel(), minlength=256)[:19]
    assert np.array_equal(np.array(two['pixels']) - one['pixels'], extra)
    assert two['num_images'] == 3 and math.isclose(sum(two['frequency']), 1)


def test_iou_table_and_correlation():
    assert iou_table({'IoU.a': 50.0, 'IoU.b': None}, ['a', 'b'])[0] == 50.0
    assert math.isnan(iou_table({'IoU.a': 50.0, 'IoU.b': None}, ['a', 'b'])[1])
    with pytest.raises(DataValidationError, match='IoU.<class>'):
        iou_table({'mIoU': 3}, ['a'])
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, float('nan')]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


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
