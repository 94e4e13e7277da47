import math

import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from ganseg_mm.evaluation import PerClassIoUMetric


def _sample(pred, gt):
    s = SegDataSample()
    s.pred_sem_seg = PixelData(data=torch.tensor(pred)[None])
    s.gt_sem_seg = PixelData(data=torch.tensor(gt)[None])
    return s.to_dict()


def test_per_class_iou_exact_values():
    m = PerClassIoUMetric(iou_metrics=['mIoU'])
    m.dataset_meta = dict(classes=('a', 'b', 'c'))
    gt = [[0, 0, 1, 1], [0, 0, 1, 255]]
    pred = [[0, 1, 1, 1], [0, 0, 1, 2]]  # the ignored pixel's prediction is dropped
    m.process([], [_sample(pred, gt)])
    res = m.compute_metrics(m.results)
    # class a: inter 3, union 4 -> 75; class b: inter 3, union 4 -> 75; c absent
    assert res['IoU.a'] == 75.0 and res['IoU.b'] == 75.0
    assert math.isnan(res['IoU.c'])
    assert res['mIoU'] == 75.0
    assert 'aAcc' in res and 'mAcc' in res
