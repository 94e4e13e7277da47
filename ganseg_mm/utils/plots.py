"""Matplotlib figures (Agg backend, no display), written atomically as PNG."""
from __future__ import annotations

import io
from typing import Optional, Sequence

from .io import atomic_write_bytes


def scatter_png(path: str, x: Sequence[float], y: Sequence[float], labels: Sequence[str],
                xlabel: str, ylabel: str, title: str, logx: bool = True,
                highlight: Optional[Sequence[bool]] = None) -> None:
    """Labelled scatter plot (e.g. class frequency vs IoU, as in Fig. 2 of the
    pixel-level GAN augmentation paper)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    hl = list(highlight) if highlight is not None else [False] * len(x)
    for xi, yi, name, h in zip(x, y, labels, hl):
        ax.scatter([xi], [yi], c='tab:red' if h else 'tab:blue', s=28)
        ax.annotate(name, (xi, yi), textcoords='offset points', xytext=(3, 3), fontsize=7)
    if logx:
        ax.set_xscale('log')
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png')
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
