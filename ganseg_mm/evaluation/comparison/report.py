"""Report of the multi-seed comparison: the markdown table, the PNG plot of
the per-class deltas, and ``comparison.{md,json,png}`` in the work dir.
"""
from __future__ import annotations

import io
import json
import os.path as osp
from typing import Dict, Sequence

import numpy as np

from ganseg_mm.evaluation.comparison.stats import rare_classes, summarize
from ganseg_mm.utils.io import atomic_write_bytes, atomic_write_text

KINDS = ('last', 'best', 'teacher')  # report order of the evaluated checkpoint kinds


def _num(v, sign=False) -> str:
    return 'n/a' if v is None else (f'{v:+.2f}' if sign else f'{v:.2f}')


def format_table(summary: dict, baseline: str, classes: Sequence[str],
                 rare: Sequence[bool], share: Sequence[float], num_seeds: int) -> str:
    """Markdown table: rows mIoU, rare-class mIoU, each class (rare ones ``*``).

    Args:
        summary (dict): Output of :func:`~.stats.summarize`.
        baseline (str): Baseline name.
        classes, rare: As in :func:`~.stats.row_values`.
        share (Sequence[float]): Share of training pixels per class (0-1).
        num_seeds (int): Seeds per config; a cell with fewer values shows n.
    """
    k, ref, methods = summary['kind'], summary['baseline_kind'], summary['methods']
    head = ['', 'train px %', f'{baseline} ({ref})']
    for m in methods:
        head += [f'{m} ({k})', f'delta {m} [95% CI]']
    lines = ['| ' + ' | '.join(head) + ' |', '|---|' + '---:|' * (len(head) - 1)]
    info = {c: (r, s) for c, r, s in zip(classes, rare, share)}

    def ms(st):
        if st['mean'] is None:
            return 'n/a'
        n = f' (n={st["n"]})' if st['n'] < num_seeds else ''
        return f'{_num(st["mean"])} ± {_num(st["std"])}{n}'

    for row in summary['rows']:
        r, s = info.get(row, (False, None))
        cells = [('*' if r else '') + row, '' if s is None else f'{100 * s:.2f}',
                 ms(summary['stats'][baseline][row])]
        for m in methods:
            d = summary['deltas'][m][row]
            ci = 'n/a' if d['ci'] is None else f'{_num(d["ci"][0], 1)}, {_num(d["ci"][1], 1)}'
            cells += [ms(summary['stats'][m][row]), f'{_num(d["mean"], 1)} [{ci}]']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_deltas_png(path: str, summary: dict, baseline: str, classes: Sequence[str],
                    rare: Sequence[bool], share: Sequence[float]) -> None:
    """Per method, per-class mean delta bars with 95% CI error bars, classes
    ordered by training-pixel share (most frequent left), rare ones in red.

    Args:
        path (str): Output PNG (written atomically).
        summary, baseline, classes, rare, share: As in :func:`format_table`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    order = sorted(range(len(classes)), key=lambda i: -share[i])
    methods = summary['methods']
    fig = Figure(figsize=(max(6.0, 0.42 * len(classes)), 2.8 * len(methods)), dpi=110)
    FigureCanvasAgg(fig)  # Agg without pyplot: no display, no global backend switch
    x = np.arange(len(order))
    for j, m in enumerate(methods):
        ax = fig.add_subplot(len(methods), 1, j + 1)
        d = [summary['deltas'][m][classes[i]] for i in order]
        y = np.array([np.nan if e['mean'] is None else e['mean'] for e in d])
        colours = ['tab:red' if rare[i] else 'tab:blue' for i in order]
        ax.bar(x, np.nan_to_num(y), color=colours)
        ci = [(k, e['ci']) for k, e in enumerate(d) if e['ci'] is not None]
        if ci:
            err = [[y[k] - c[0] for k, c in ci], [c[1] - y[k] for k, c in ci]]
            ax.errorbar([k for k, _ in ci], [y[k] for k, _ in ci], yerr=err, fmt='none',
                        ecolor='k', capsize=2)
        ax.axhline(0, color='k', lw=0.6)
        ax.set_xticks(x)
        ax.set_xticklabels([('*' if rare[i] else '') + classes[i] for i in order],
                           rotation=60, ha='right', fontsize=7)
        for lab, c in zip(ax.get_xticklabels(), colours):
            lab.set_color('k' if c == 'tab:blue' else c)
        n = summary['deltas'][m]['mIoU']['n']
        ax.set_title(f'{m} ({summary["kind"]}) - {baseline} ({summary["baseline_kind"]}): '
                     f'IoU delta, mean of {n} paired seeds, '
                     + ('95% t CI' if n > 1 else 'no CI with one seed')
                     + '; red * = rare', fontsize=8)
        ax.set_ylabel('delta IoU (points)', fontsize=8)
        ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    atomic_write_bytes(path, buf.getvalue())


def write_summary(work_dir: str, results: Dict[str, Dict[int, dict]], baseline: str,
                  classes: Sequence[str], pixels: Sequence[int], rare_share: float,
                  meta: dict) -> str:
    """Write ``comparison.json``, ``comparison.md`` and ``comparison.png``.

    Args:
        work_dir (str): The comparison's directory.
        results (dict): From :func:`~.pairs.collect`.
        baseline (str): Baseline name.
        classes (Sequence[str]): Class names in label-id order.
        pixels (Sequence[int]): Training pixels per class of the baseline.
        rare_share (float): A class is rare below this share of training pixels.
        meta (dict): Saved as is (configs, options, command).

    Returns:
        str: The markdown text (headline table first).
    """
    share, rare = rare_classes(pixels, rare_share)
    seeds = sorted(results[baseline])
    found = {k for r in results.values() for x in r.values() for k in x['metrics']}
    kinds = [k for k in KINDS if k in found] + sorted(found - set(KINDS))
    summaries = {k: s for k in kinds
                 if (s := summarize(results, baseline, k, classes, rare)) is not None}
    text = [f'# {", ".join(summaries["last"]["methods"])} vs {baseline}', '',
            f'Seeds {", ".join(map(str, seeds))} (n={len(seeds)}). IoU in %: mean ± sample std '
            'over seeds; delta = method - baseline paired by seed, mean [95% Student t CI]; '
            'n/a = not defined with fewer than 2 values. `*` = rare class: below '
            f'{100 * rare_share:g}% of the baseline\'s training pixels.']
    for k, s in summaries.items():
        title = 'last checkpoint (headline)' if k == 'last' else f'{k} checkpoint'
        table = format_table(s, baseline, classes, rare, share, len(seeds))
        text += ['', f'## {title}', '', table]
    text = '\n'.join(text) + '\n'
    atomic_write_text(osp.join(work_dir, 'comparison.md'), text)
    plot_deltas_png(osp.join(work_dir, 'comparison.png'), summaries['last'], baseline,
                    classes, rare, share)
    atomic_write_text(osp.join(work_dir, 'comparison.json'), json.dumps(dict(
        meta, baseline=baseline, seeds=seeds, classes=list(classes), train_pixels=list(pixels),
        pixel_share=share, rare=rare, rare_share=rare_share, summaries=summaries,
        pairs={n: {str(s): r for s, r in sorted(v.items())} for n, v in results.items()}),
        indent=1))
    return text
