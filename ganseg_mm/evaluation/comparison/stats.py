"""Statistics of the multi-seed comparison: mean/std, Student's t intervals,
per-seed paired deltas, the table rows of one evaluation and the rare-class
rule. Pure functions of numbers; nothing here reads or writes files.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

RARE_ROW = 'rare-class mIoU'


def _ok(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def mean_std(values: Sequence[Optional[float]]) -> dict:
    """``n``, ``mean`` and sample ``std`` (ddof=1) of the present values.

    Args:
        values (Sequence[float | None]): One value per seed; None/NaN = missing.

    Returns:
        dict: ``std`` is None (n/a) below two values, ``mean`` below one.
    """
    v = [float(x) for x in values if _ok(x)]
    return dict(n=len(v), mean=float(np.mean(v)) if v else None,
                std=float(np.std(v, ddof=1)) if len(v) > 1 else None)


def t_interval(values: Sequence[Optional[float]], level: float = 0.95) -> dict:
    """:func:`mean_std` plus ``ci``: mean -/+ t_{(1+level)/2, n-1} * std / sqrt(n).

    Args:
        values (Sequence[float | None]): The sample (e.g. per-seed differences).
        level (float): Confidence level. Defaults to 0.95.

    Returns:
        dict: ``ci`` is ``[low, high]``, or None (n/a) below two values.
    """
    from scipy.stats import t  # Student's t quantile
    out = mean_std(values)
    out['ci'] = None
    if out['n'] > 1:
        half = float(t.ppf((1 + level) / 2, out['n'] - 1)) * out['std'] / math.sqrt(out['n'])
        out['ci'] = [out['mean'] - half, out['mean'] + half]
    return out


def paired_deltas(base: Dict[int, Optional[float]], method: Dict[int, Optional[float]],
                  level: float = 0.95) -> dict:
    """Per-seed ``method - base`` over the seeds both have, and its t interval.

    Pairing by seed removes the seed-to-seed variation both runs share (same
    initialisation and data order), so the interval is that of the effect.

    Args:
        base (dict): Seed -> baseline value (None/NaN = missing).
        method (dict): Seed -> method value.
        level (float): Confidence level. Defaults to 0.95.
    """
    seeds = sorted(s for s in base if s in method and _ok(base[s]) and _ok(method[s]))
    d = {s: float(method[s]) - float(base[s]) for s in seeds}
    return dict(t_interval(list(d.values()), level), deltas={str(s): v for s, v in d.items()})


def row_values(metrics: dict, classes: Sequence[str], rare: Sequence[bool]) -> dict:
    """Table rows of one evaluation: ``mIoU``, the rare-class mIoU (mean IoU of
    the rare classes present), one entry per class (None when absent).

    Args:
        metrics (dict): ``tools/test.py --metrics-out`` dict.
        classes (Sequence[str]): Class names in label-id order.
        rare (Sequence[bool]): Whether each class is rare.
    """
    out = {'mIoU': metrics.get('mIoU')}
    per = {c: metrics.get(f'IoU.{c}') for c in classes}
    vals = [per[c] for c, r in zip(classes, rare) if r and _ok(per[c])]
    out[RARE_ROW] = float(np.mean(vals)) if vals else None
    out.update(per)
    return out


def summarize(results: Dict[str, Dict[int, dict]], baseline: str, kind: str,
              classes: Sequence[str], rare: Sequence[bool]) -> Optional[dict]:
    """Mean/std per config and row, paired deltas per method, for one kind.

    Args:
        results (dict): Name -> seed -> result (with ``metrics[kind]``).
        baseline (str): Name of the baseline config.
        kind (str): ``last``, ``best`` or ``teacher``.
        classes, rare: As in :func:`row_values`.

    Returns:
        dict | None: None when no method has ``kind`` for every seed. A
        baseline without ``kind`` (e.g. no teacher) is compared by its ``last``.
    """
    def has(name, k):
        return all(k in r.get('metrics', {}) for r in results[name].values())
    ref = kind if has(baseline, kind) else 'last'
    names = [n for n in results if n != baseline and has(n, kind)]
    if not names:
        return None
    rows = {n: {s: row_values(r['metrics'][ref if n == baseline else kind], classes, rare)
                for s, r in results[n].items()} for n in [baseline] + names}
    keys = list(rows[baseline][next(iter(rows[baseline]))])
    col = {n: {k: {s: v[k] for s, v in rows[n].items()} for k in keys} for n in rows}
    return dict(kind=kind, baseline_kind=ref, methods=names, rows=keys,
                stats={n: {k: mean_std(list(col[n][k].values())) for k in keys} for n in col},
                deltas={n: {k: paired_deltas(col[baseline][k], col[n][k]) for k in keys}
                        for n in names})


def rare_classes(pixels: Sequence[int], rare_share: float) -> Tuple[List[float], List[bool]]:
    """(share of training pixels per class, rare = share < ``rare_share``).

    Args:
        pixels (Sequence[int]): Training pixels per class.
        rare_share (float): The threshold (``--rare-share``).
    """
    total = max(int(sum(pixels)), 1)
    share = [int(p) / total for p in pixels]
    return share, [s < rare_share for s in share]
