"""Deterministic labeled/unlabeled splits that mmseg datasets read as ``ann_file``.

A split file lists one sample per line as mmseg's ``BaseSegDataset`` expects
with ``ann_file``: the image path relative to ``data_prefix.img_path``, without
``img_suffix`` (Cityscapes: ``aachen/aachen_000000_000019``).

Splits are nested: one seeded permutation of the sorted samples, and the
labeled part of fraction ``f`` is its first ``round(n * f)`` entries, so
1/16 is inside 1/8 inside 1/4 inside 1/2 (ablations differ only in how much is
labeled). The unlabeled part is the rest; the two never overlap.
"""
from __future__ import annotations

import os.path as osp
from fractions import Fraction
from typing import Dict, List, Sequence

import numpy as np

from ganseg_mm.utils.io import atomic_write_text


def split_name(fraction: Fraction, seed: int, part: str) -> str:
    return f'{fraction.numerator}-{fraction.denominator}_seed{seed}_{part}.txt'


def make_splits(samples: Sequence[str], fractions: Sequence, seed: int = 0) -> Dict:
    """Nested labeled/unlabeled splits of ``samples``.

    Args:
        samples: Sample names (order does not matter; they are sorted first).
        fractions: Labeled fractions in (0, 1), e.g. ``['1/16', '1/8']``.
        seed (int): Seed of the permutation.

    Returns:
        dict: ``Fraction -> (labeled, unlabeled)`` lists of names, each sorted.
    """
    names = sorted(set(samples))
    if len(names) != len(samples):
        raise ValueError('sample names are not unique')
    if not names:
        raise ValueError('no samples to split')
    order = np.random.default_rng(seed).permutation(len(names))
    out = {}
    for f in fractions:
        f = Fraction(f)
        if not 0 < f < 1:
            raise ValueError(f'fractions must be in (0, 1), got {f}')
        k = int(round(len(names) * f))
        if k == 0:
            raise ValueError(f'fraction {f} of {len(names)} samples labels none')
        chosen = set(order[:k].tolist())
        out[f] = (sorted(names[i] for i in chosen),
                  sorted(names[i] for i in range(len(names)) if i not in chosen))
    return out


def write_splits(out_dir: str, splits: Dict, seed: int) -> List[str]:
    """Write ``<num>-<den>_seed<seed>_{labeled,unlabeled}.txt`` atomically."""
    written = []
    for f, (labeled, unlabeled) in splits.items():
        for part, names in (('labeled', labeled), ('unlabeled', unlabeled)):
            path = osp.join(out_dir, split_name(f, seed, part))
            atomic_write_text(path, ''.join(n + '\n' for n in names))
            written.append(path)
    return written


def dataset_sample_names(dataset) -> List[str]:
    """Names of an mmseg dataset's samples in ``ann_file`` form."""
    img_dir = dataset.data_prefix['img_path']
    suffix = dataset.img_suffix
    names = []
    for info in dataset.load_data_list():
        rel = osp.relpath(info['img_path'], img_dir)
        if not rel.endswith(suffix):
            raise ValueError(f'{info["img_path"]} does not end with img_suffix {suffix!r}')
        names.append(rel[:-len(suffix)])
    return names
