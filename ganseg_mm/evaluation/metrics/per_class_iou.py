"""``PerClassIoUMetric``: mmseg's IoUMetric that also returns per-class IoU."""
from __future__ import annotations

import math

from mmseg.evaluation import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PerClassIoUMetric(IoUMetric):
    """mmseg's :class:`IoUMetric`, plus one ``IoU.<class>`` entry per class.

    mmseg prints the per-class table to the log only; returning the values lets
    ``tools/test.py --metrics-out`` save them and the analysis tools plot class
    frequency against IoU. Values are percentages; a class absent from both
    prediction and ground truth gives ``nan`` (as in mmseg's table).

    Args:
        **kwargs: Every argument of mmseg's ``IoUMetric`` (``iou_metrics``,
            ``ignore_index``, ``nan_to_num``, ``beta``, ``collect_device``,
            ``output_dir``, ``format_only``, ``prefix``).
    """

    def compute_metrics(self, results: list) -> dict:
        metrics = super().compute_metrics(results)
        if self.format_only:
            return metrics
        inter, union, pred, label = (sum(part) for part in zip(*results))
        per_class = self.total_area_to_metrics(inter, union, pred, label, ['mIoU'],
                                               self.nan_to_num, self.beta)
        for name, value in zip(self.dataset_meta['classes'], per_class['IoU']):
            value = float(value)
            metrics[f'IoU.{name}'] = value if math.isnan(value) else round(value * 100, 2)
        return metrics
