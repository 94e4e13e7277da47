"""Evaluation metrics registered in mmseg's METRICS."""
from .metrics import PerClassIoUMetric

__all__ = ['PerClassIoUMetric']
