"""Logged training scalars of a comparison's pairs, over iterations and seeds.

Reads the ``scalars.json`` mmengine's ``LocalVisBackend`` writes for each
training (``<pair dir>/<timestamp>/vis_data/scalars.json``; a resumed
training adds a second timestamp, whose values win), and summarizes a key as
mean ± sample std over seeds at each logged iteration: ``curves.{md,json,png}``.
"""
from __future__ import annotations

import glob
import io
import json
import os.path as osp
from typing import Dict, Sequence

import numpy as np

from ganseg_mm.evaluation.comparison.pairs import pair_dir
from ganseg_mm.evaluation.comparison.stats import mean_std
from ganseg_mm.utils.io import atomic_write_bytes, atomic_write_text


def read_train_scalars(d: str) -> Dict[str, Dict[int, float]]:
    """``{key: {iteration: value}}`` of the training logs in pair directory ``d``.

    Only training lines (those with ``iter``) of the trainings' own
    timestamped folders count; test runs write under ``test_*`` and are skipped.
    """
    out: Dict[str, Dict[int, float]] = {}
    for path in sorted(glob.glob(osp.join(d, '[0-9]*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'iter' not in rec:
                    continue
                for k, v in rec.items():
                    if isinstance(v, (int, float)) and k not in ('iter', 'step'):
                        out.setdefault(k, {})[int(rec['iter'])] = float(v)
    return out


def summarize_curves(work_dir: str, names: Sequence[str], seeds: Sequence[int],
                     keys: Sequence[str]) -> dict:
    """``{key: {name: dict(iters, mean, std, n, final)}}`` over seeds.

    ``final`` is ``mean_std`` of each seed's mean over the last quarter of its
    logged iterations (a window, since single logged values are noisy).
    Names that never logged a key are left out of that key.
    """
    result = {}
    for key in keys:
        per_name = {}
        for name in names:
            runs = [read_train_scalars(pair_dir(work_dir, name, s)).get(key, {}) for s in seeds]
            runs = [r for r in runs if r]
            if not runs:
                continue
            iters = sorted(set().union(*runs))
            stats = [mean_std([r[i] for r in runs if i in r]) for i in iters]
            finals = []
            for r in runs:
                its = sorted(r)
                tail = its[len(its) * 3 // 4:]
                finals.append(float(np.mean([r[i] for i in tail])))
            per_name[name] = dict(iters=iters, mean=[s['mean'] for s in stats],
                                  std=[s['std'] for s in stats], n=[s['n'] for s in stats],
                                  final=mean_std(finals))
        result[key] = per_name
    return result


def format_curves_table(curves: dict) -> str:
    """Markdown: per key and name, the mean over the last quarter of training."""
    names = sorted({n for per in curves.values() for n in per})
    lines = ['| logged key (last quarter of training) | ' + ' | '.join(names) + ' |',
             '|---|' + '---:|' * len(names)]
    for key, per in curves.items():
        cells = []
        for n in names:
            f = per.get(n, {}).get('final')
            if f is None or f['mean'] is None:
                cells.append('-')
            else:
                std = 'n/a' if f['std'] is None else f'{f["std"]:.3f}'
                cells.append(f'{f["mean"]:.3f} ± {std}')
        lines.append(f'| `{key}` | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_curves_png(path: str, curves: dict) -> None:
    """One panel per key: mean over seeds per name, shaded ± one std."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    keys = list(curves)
    fig = Figure(figsize=(6.0, 2.4 * max(1, len(keys))), dpi=110)
    FigureCanvasAgg(fig)
    for j, key in enumerate(keys):
        ax = fig.add_subplot(max(1, len(keys)), 1, j + 1)
        for name, c in curves[key].items():
            x, m = np.array(c['iters']), np.array(c['mean'], float)
            s = np.array([0.0 if v is None else v for v in c['std']])
            ax.plot(x, m, label=f'{name} (n={max(c["n"])})', lw=1.2)
            ax.fill_between(x, m - s, m + s, alpha=0.2)
        ax.set_title(f'{key}: mean ± std over seeds', fontsize=8)
        ax.set_xlabel('iteration', fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    atomic_write_bytes(path, buf.getvalue())


def write_curves(work_dir: str, names: Sequence[str], seeds: Sequence[int],
                 keys: Sequence[str]) -> str:
    """Write ``curves.{json,md,png}`` in ``work_dir``; return the markdown."""
    curves = summarize_curves(work_dir, names, seeds, keys)
    text = ('# Logged training scalars\n\nMean ± sample std over seeds of each seed\'s mean '
            'over the last quarter of its logged iterations; `-` = not logged.\n\n'
            + format_curves_table(curves) + '\n')
    atomic_write_text(osp.join(work_dir, 'curves.json'), json.dumps(curves, indent=1))
    atomic_write_text(osp.join(work_dir, 'curves.md'), text)
    plot_curves_png(osp.join(work_dir, 'curves.png'), curves)
    return text
