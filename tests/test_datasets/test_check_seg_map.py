import numpy as np
import pytest

from ganseg_mm.datasets import CheckSegMap
from ganseg_mm.utils.errors import DataValidationError


def _results(seg, img_hw=(4, 6)):
    return dict(img=np.zeros((*img_hw, 3), np.uint8), gt_seg_map=seg,
                img_path='a_leftImg8bit.png', seg_map_path='a_gtFine_labelTrainIds.png')


def test_valid_sample_passes_unchanged():
    seg = np.array([[0, 18, 255, 3, 3, 3]] * 4, np.uint8)
    r = _results(seg)
    assert CheckSegMap(num_classes=19)(r) is r


def test_out_of_range_id_names_file_and_ids():
    seg = np.zeros((4, 6), np.uint8)
    seg[0, 0], seg[1, 1] = 19, 200
    with pytest.raises(DataValidationError,
                       match=r'a_gtFine_labelTrainIds.png: label ids \[19, 200\]'):
        CheckSegMap(num_classes=19)(_results(seg))


def test_custom_ignore_index():
    seg = np.full((4, 6), 254, np.uint8)
    CheckSegMap(num_classes=3, ignore_index=254)(_results(seg))
    with pytest.raises(DataValidationError, match='not the ignore index 255'):
        CheckSegMap(num_classes=3)(_results(seg))


def test_size_mismatch_names_both_files():
    seg = np.zeros((4, 5), np.uint8)
    with pytest.raises(DataValidationError, match=r'is 4x5 but its image a_leftImg8bit.png is 4x6'):
        CheckSegMap()(_results(seg))


def test_compares_with_the_image_as_loaded():
    # mmseg's test pipeline: Resize (image only), then LoadAnnotations
    r = _results(np.zeros((4, 6), np.uint8), img_hw=(8, 12))
    r['ori_shape'] = (4, 6)
    CheckSegMap()(r)
    r['ori_shape'] = (4, 7)
    with pytest.raises(DataValidationError, match='is 4x6 but its image .* is 4x7'):
        CheckSegMap()(r)


def test_bad_num_classes():
    with pytest.raises(ValueError, match='got 0'):
        CheckSegMap(num_classes=0)


def test_non_uint8_label_maps_are_checked_too():
    seg = np.zeros((4, 6), np.int64)
    seg[0, 0], seg[0, 1] = -1, 255
    with pytest.raises(DataValidationError, match=r'label ids \[-1\]'):
        CheckSegMap()(_results(seg))
