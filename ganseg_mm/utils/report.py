"""Plain-text per-class IoU tables for the terminal (demo and analysis tools)."""
from __future__ import annotations

import math
from typing import Dict, Sequence


def format_iou_table(classes: Sequence[str], pixel_share: Sequence[float],
                     rare: Sequence[bool], runs: Dict[str, dict]) -> str:
    """Format per-class IoU of several runs side by side.

    Args:
        classes (Sequence[str]): Class names, in trainId order.
        pixel_share (Sequence[float]): Share of training pixels per class (0-1).
        rare (Sequence[bool]): Whether each class is rare (marked ``*``).
        runs (dict): Run name -> metrics dict with ``IoU.<class>`` and ``mIoU``.
    """
    names = list(runs)
    width = max(10, *(len(n) for n in names))
    head = f'{"class":<15}{"train px%":>10}' + ''.join(f'{n:>{width + 2}}' for n in names)
    lines = [head, '-' * len(head)]

    def cell(v):
        missing = v is None or (isinstance(v, float) and math.isnan(v))
        return f'{"n/a":>{width + 2}}' if missing else f'{v:>{width + 2}.2f}'

    for i, c in enumerate(classes):
        mark = '*' if rare[i] else ' '
        lines.append(f'{mark}{c:<14}{100 * pixel_share[i]:>10.2f}' +
                     ''.join(cell(runs[n].get(f'IoU.{c}')) for n in names))
    lines.append('-' * len(head))
    lines.append(f'{"mIoU":<25}' + ''.join(cell(runs[n].get('mIoU')) for n in names))
    if any(rare):
        for n in names:
            vals = [runs[n].get(f'IoU.{c}') for c, r in zip(classes, rare) if r]
            vals = [v for v in vals if v is not None and not math.isnan(v)]
            runs[n]['_rare'] = sum(vals) / len(vals) if vals else None
        lines.append(f'{"rare-class mIoU (*)":<25}' +
                     ''.join(cell(runs[n].pop('_rare')) for n in names))
    return '\n'.join(lines)
