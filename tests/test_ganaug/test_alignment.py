"""Label alignment of synthetic images: exact scores, the filter's choice, and
score_alignment with a segmenter that sees what it is shown."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from ganseg_mm.ganaug.alignment import (ALIGNMENT_PLOT, image_score, intersect_union,
                                        kept_images, score_alignment)
from tests.test_ganaug.ganaug_helpers import make_synthetic_set

CLASSES = [f'c{i}' for i in range(19)]


def test_intersect_union_and_score_by_hand():
    label = np.array([[0, 0, 1, 1],
                      [0, 0, 1, 255]], np.uint8)
    pred = np.array([[0, 1, 1, 2],
                     [0, 0, 1, 2]], np.uint8)  # the ignored pixel's 2 does not count
    inter, union = intersect_union(pred, label, 19)
    assert inter[:3].tolist() == [3, 2, 0] and union[:3].tolist() == [4, 4, 1]
    assert not inter[3:].any() and not union[3:].any()
    assert image_score(inter, union) == pytest.approx((3 / 4 + 2 / 4 + 0) / 3)
    assert image_score(np.zeros(19), np.zeros(19)) is None


def test_kept_images_threshold_worst_fraction_and_ties():
    rows = [dict(name='d', score=0.5), dict(name='a', score=0.5), dict(name='c', score=None),
            dict(name='b', score=0.9), dict(name='e', score=0.2)]
    al = dict(images=rows)
    assert kept_images(al) == {'a', 'b', 'd', 'e'}  # unscored never passes
    assert kept_images(al, min_score=0.5) == {'a', 'b', 'd'}
    assert kept_images(al, drop_worst=0.4) == {'a', 'b', 'd'}  # c, e
    assert kept_images(al, drop_worst=0.6) == {'b', 'd'}  # then 'a' before 'd' at 0.5
    with pytest.raises(ValueError, match='drop_worst'):
        kept_images(al, drop_worst=1)


@pytest.fixture(scope='module')
def synth_root(tiny_demo_root, tmp_path_factory):
    return make_synthetic_set(tiny_demo_root, str(tmp_path_factory.mktemp('align')), num=4)


class _LabelReader:
    """A stand-in segmenter for ``inference_model``: predicts the image's own
    composed label map with class ``swap`` turned into class 0."""

    def __init__(self, swap):
        self.swap = swap

    def __call__(self, model, paths):
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        import torch
        out = []
        for p in paths:
            lab = cv2.imread(p.replace('/leftImg8bit/', '/gtFine/').replace(
                '_leftImg8bit.png', '_gtFine_labelTrainIds.png'), cv2.IMREAD_UNCHANGED)
            lab[lab == self.swap] = 0
            s = SegDataSample()
            s.pred_sem_seg = PixelData(data=torch.from_numpy(lab.astype(np.int64))[None])
            out.append(s)
        return out


def test_score_alignment_scores_a_class_the_images_do_not_show(synth_root, monkeypatch):
    """A segmenter that finds every class but sky (10) in the images: sky's IoU
    over the set is 0, every other class present is 1 except road (0), which
    gets sky's pixels; images holding sky score below those that do not."""
    import mmseg.apis
    monkeypatch.setattr(mmseg.apis, 'inference_model', _LabelReader(swap=10))
    res = score_alignment(synth_root, model=None, class_names=CLASSES, batch_size=3,
                          segmenter=dict(config='x'), progress=False)
    with open(osp.join(synth_root, 'alignment.json')) as f:
        assert json.load(f) == res
    assert cv2.imread(osp.join(synth_root, ALIGNMENT_PLOT)) is not None
    pc = res['per_class']
    assert pc['10']['iou'] == 0 and pc['10']['images'] >= 1
    assert 0 < pc['0']['iou'] < 1
    assert all(v['iou'] == 1 for c, v in pc.items() if v['iou'] is not None
               and c not in ('0', '10'))
    assert len(res['images']) == 4 and all(r['score'] < 1 for r in res['images'])
    assert all(r['iou']['10'] == 0 for r in res['images'] if '10' in r['iou'])
    monkeypatch.setattr(mmseg.apis, 'inference_model', _LabelReader(swap=99))
    perfect = score_alignment(synth_root, None, CLASSES, progress=False)
    assert perfect['score_mean'] == 1 and all(r['score'] == 1 for r in perfect['images'])
