"""Writes a set of composed label maps in Cityscapes layout
(used by tools/ganaug/compose_labels.py) and says where its files live."""
from __future__ import annotations

import glob
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ganseg_mm.utils.io import atomic_write_png, atomic_write_text
from ganseg_mm.utils.output_dir import OutputDir
from .class_repository import ClassRepository
from .composer import LabelComposer, distance
from ganseg_mm.utils.labels import (CITYSCAPES_LABEL_SUFFIXES, instance_path,
                                    read_instances, read_label)

CITY = 'synth'  # the "city" folder of composed maps
COMPOSE_MANIFEST = 'compose_manifest.json'
COMPOSE_PARAMS = 'compose_params.json'


# The synthetic set is written in Cityscapes naming whatever the source
# dataset's layout; GANAugmentedDataset reads it back with
# :func:`synthetic_layout`, so a dataset in mmseg's generic img_dir/ann_dir
# layout needs no overrides.
IMG_SUFFIX = '_leftImg8bit.png'
LABEL_SUFFIX = CITYSCAPES_LABEL_SUFFIXES[0]  # '_gtFine_labelTrainIds.png'


def synthetic_layout(split: str = 'train') -> dict:
    """The mmseg dataset arguments that read a synthetic set's ``split``
    (``data_prefix``, ``img_suffix``, ``seg_map_suffix``)."""
    return dict(data_prefix=dict(img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'),
                img_suffix=IMG_SUFFIX, seg_map_suffix=LABEL_SUFFIX)


def label_dir(root: str, split: str = 'train') -> str:
    return osp.join(root, 'gtFine', split, CITY)


def image_dir(root: str, split: str = 'train') -> str:
    return osp.join(root, 'leftImg8bit', split, CITY)


def split_file(split: str = 'train') -> str:
    """Name of the list of composed maps (mmseg ``ann_file``; works without images)."""
    return f'{CITY}_{split}.txt'


def composed_name(i: int) -> str:
    return f'{CITY}_{i:06d}_000019'


def label_path(root: str, i: int, split: str = 'train') -> str:
    return osp.join(label_dir(root, split), composed_name(i) + LABEL_SUFFIX)


def _resize_nearest(a: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    dtype = a.dtype  # cv2 resizes int32 instance ids only through float
    src = a.astype(np.float32) if dtype == np.int32 else a
    return cv2.resize(src, (int(size[1]), int(size[0])),
                      interpolation=cv2.INTER_NEAREST).astype(dtype)


def compose_set(base_files: Sequence[str], repo_dir: str, out: str, num: int,
                target: Union[str, dict] = 'sqrt', classes: Optional[Sequence[int]] = None,
                seed: int = 0, pastes_per_map=(1, 32), paste_fraction: float = 0.2,
                scale_range=(0.8, 1.25),
                split: str = 'train', progress: bool = True,
                thing_classes: Optional[Sequence] = None,
                ground_classes: Optional[Sequence] = None,
                size: Optional[Tuple[int, int]] = None) -> dict:
    """Compose ``num`` label maps from ``base_files`` into ``out``; returns the manifest.

    Base map ``i`` is ``base_files[perm[i % n]]`` with a permutation seeded by
    ``seed``. ``thing_classes``/``ground_classes`` (ids or names; None: the
    default of :func:`~ganseg_mm.ganaug.composer.default_layout`) are recorded
    resolved. ``size=(H, W)`` composes every map at that size (the base maps
    and their instance maps resized with nearest neighbours, pasted regions
    scaled to it): give the size the pix2pixHD generator was trained at, so
    that synthesis renders at it and no image is upscaled (None: each base
    map's own size). The parameters are recorded in ``compose_params.json``; a rerun
    with others is refused (DataValidationError naming the parameter) once a
    map exists. A rerun recomputes every map (composition is cheap and
    sequential: each map depends on the totals of the previous ones) and writes
    only the missing files, so a killed run is completed exactly; the split
    list and ``compose_manifest.json`` are written once, last
    (:class:`~ganseg_mm.utils.output_dir.OutputDir`).
    """
    if num < 1:
        raise ValueError(f'num must be >= 1, got {num}')
    repo = ClassRepository(repo_dir)
    composer = LabelComposer(repo, target, classes, thing_classes, ground_classes,
                             pastes_per_map=pastes_per_map, paste_fraction=paste_fraction,
                             scale_range=scale_range, seed=seed)
    params = dict(repository=osp.abspath(repo_dir), num=num, target=target,
                  classes=None if classes is None else list(classes), seed=seed,
                  pastes_per_map=list(pastes_per_map), paste_fraction=paste_fraction,
                  scale_range=list(scale_range),
                  split=split, base_files=list(base_files),
                  thing_classes=sorted(composer.things),
                  ground_classes=composer.ground.tolist(),
                  size=None if size is None else [int(v) for v in size])
    od = OutputDir(out, COMPOSE_MANIFEST, COMPOSE_PARAMS)
    old = od.read_manifest()  # a set composed before compose_params.json existed
    od.claim(params, recorded=old['params'] if old else None,
             has_work=lambda: bool(glob.glob(osp.join(label_dir(out, split), '*.png'))))
    perm = np.random.default_rng(seed).permutation(len(base_files))
    before = np.zeros(repo.num_classes)
    entries = []
    from mmengine.utils import ProgressBar
    bar = ProgressBar(num) if progress else None
    for i in range(num):
        src = base_files[int(perm[i % len(base_files)])]
        base = read_label(src, repo.num_classes, repo.ignore_index)
        base_inst = read_instances(src, base.shape)
        if size is not None and base.shape != tuple(size):
            base = _resize_nearest(base, size)
            base_inst = None if base_inst is None else _resize_nearest(base_inst, size)
        before += np.bincount(base.ravel(), minlength=256)[:repo.num_classes]
        label, inst, pastes = composer.compose(base, base_inst, i)
        lp = label_path(out, i, split)
        ip = instance_path(lp)
        if not (osp.isfile(lp) and osp.isfile(ip)):
            atomic_write_png(ip, inst.astype(np.uint16))
            atomic_write_png(lp, label)
        counts = np.bincount(label.ravel(), minlength=256)
        entries.append(dict(name=composed_name(i), base=src, seed=seed + i, pastes=pastes,
                            class_pixels={str(c): int(n) for c, n in enumerate(counts) if n}))
        if bar:
            bar.update()
    if bar:
        print()
    after = composer.totals

    def build():
        atomic_write_text(osp.join(out, split_file(split)),
                          ''.join(f'{CITY}/{e["name"]}\n' for e in entries))
        return dict(params=params, num_classes=repo.num_classes,
                    class_names=repo.class_names, target=composer.target.tolist(),
                    distance_before=distance(before, composer.target),
                    distance_after=distance(after, composer.target), maps=entries)

    return od.finish(build)[0]
