"""Multi-seed comparison of configs against a baseline (``tools/compare.py``).

Every (config, seed) pair is trained and evaluated once, in its own directory
``WORK_DIR/<name>/seed<S>/``; this package holds what does not need a GPU:
the per-pair bookkeeping (:mod:`.pairs`: result files, lock files, shards,
class-pixel counts), the statistics (:mod:`.stats`), the table and the plot
(:mod:`.report`), and logged training scalars over iterations (:mod:`.curves`).
Differences to the baseline are paired by seed and get
Student's t confidence interval of their mean (see
https://en.wikipedia.org/wiki/Student%27s_t-distribution#Confidence_intervals
and https://en.wikipedia.org/wiki/Paired_difference_test).
"""
from ganseg_mm.utils.errors import DataValidationError

from .curves import read_train_scalars, summarize_curves, write_curves
from .pairs import (LOCK, RESULT, PairFailed, RunFailed, collect, count_class_pixels,
                    pair_dir, plan_pairs, run_pairs, try_lock)
from .report import format_table, plot_deltas_png, write_summary
from .stats import RARE_ROW, mean_std, paired_deltas, rare_classes, summarize, t_interval

__all__ = [
    'DataValidationError', 'LOCK', 'PairFailed', 'RARE_ROW', 'RESULT', 'RunFailed', 'collect',
    'count_class_pixels', 'format_table', 'mean_std', 'pair_dir', 'paired_deltas',
    'plan_pairs', 'plot_deltas_png', 'rare_classes', 'read_train_scalars', 'run_pairs',
    'summarize', 'summarize_curves', 't_interval', 'try_lock', 'write_curves', 'write_summary'
]
