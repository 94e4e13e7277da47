"""Class repositories (GAN augmentation: "class extraction").

Every connected region of every class in a dataset's label maps is stored with
its mask (bit-packed crop), bbox, area, source file and vertical position, so
that :mod:`ganseg_mm.ganaug.composer` can paste it into other label maps.
Pixels with their own Cityscapes instanceId (>= 1000) are split by that id;
the rest of a class (stuff, group regions such as a crowd of cars, datasets
without instance maps) by 8-connected components.

Layout of a repository directory::

    regions/<000123>.npz   all regions of source sample 123 (resumable unit)
    index.json             params, sources, per-class statistics

Extraction is deterministic (dataset order, no randomness, byte-identical
``.npz`` files) and resumable: a rerun skips samples whose ``.npz`` exists;
every file is written atomically. ``params.json`` records the parameters and
sources; a rerun with others is refused once a region file exists.
``index.json`` is written once, last (:class:`~ganseg_mm.utils.output_dir.OutputDir`).
"""
from __future__ import annotations

import glob
import io
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.io import atomic_write_bytes
from ganseg_mm.utils.labels import read_instances, read_label
from ganseg_mm.utils.output_dir import OutputDir

FORMAT_VERSION = 1


def extract_regions(label: np.ndarray, inst: Optional[np.ndarray], num_classes: int,
                    min_area: int = 16) -> List[dict]:
    """Regions of one label map, ordered by class then position (deterministic)."""
    h, w = label.shape
    regions = []
    for c in np.unique(label):
        c = int(c)
        if c >= num_classes:
            continue
        cls_mask = label == c
        rest, comps = cls_mask, []
        if inst is not None:
            # Cityscapes instanceIds: >= 1000 is one instance (split by its own
            # id, even where it touches another); below is a group region or
            # stuff, which only its connected components can split.
            own = cls_mask & (inst >= 1000)
            comps = [own & (inst == i) for i in np.unique(inst[own])]
            rest = cls_mask & ~own
        n, cc = cv2.connectedComponents(rest.astype(np.uint8), connectivity=8)
        comps += [cc == k for k in range(1, n)]
        for m in comps:
            area = int(m.sum())
            if area < min_area:
                continue
            ys, xs = np.nonzero(m)
            y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
            below = label[min(y1, h - 1), (x0 + x1) // 2]
            regions.append(dict(cls=c, bbox=(x0, y0, x1, y1), area=area,
                                foot=y1 / h, centre=(y0 + y1) / 2 / h, height=h, width=w,
                                ground=int(below), mask=m[y0:y1, x0:x1]))
    return regions


def _save_npz(path: str, regions: List[dict], source: str, counts: np.ndarray) -> None:
    arrays = dict(source=np.array(source), counts=counts.astype(np.int64))
    for k, r in enumerate(regions):
        arrays[f'm{k}'] = np.packbits(r['mask'], axis=None)
    meta = [{k: v for k, v in r.items() if k != 'mask'} for r in regions]
    arrays['meta'] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # zip entries dated 1980-01-01: same bytes every run
    atomic_write_bytes(path, buf.getvalue())


def load_regions(path: str) -> List[dict]:
    """Regions of one ``.npz`` shard, masks unpacked."""
    with np.load(path) as z:
        meta = json.loads(str(z['meta']))
        source = str(z['source'])
        for k, r in enumerate(meta):
            x0, y0, x1, y1 = r['bbox']
            n = (y1 - y0) * (x1 - x0)
            r['mask'] = np.unpackbits(z[f'm{k}'])[:n].reshape(y1 - y0, x1 - x0).astype(bool)
            r['source'] = source
    return meta


def _stats(index_regions: Dict[int, list], class_pixels: np.ndarray, class_images: np.ndarray,
           names: Sequence[str]) -> dict:
    total = max(int(class_pixels.sum()), 1)
    out = {}
    for c, name in enumerate(names):
        regs = index_regions.get(c, [])
        areas = np.array([r[2] for r in regs]) if regs else np.zeros(0)
        feet = np.array([r[3] for r in regs]) if regs else np.zeros(0)
        out[str(c)] = dict(
            name=name, pixels=int(class_pixels[c]), frequency=class_pixels[c] / total,
            images=int(class_images[c]), regions=len(regs),
            area_mean=float(areas.mean()) if len(areas) else 0.,
            area_max=int(areas.max()) if len(areas) else 0,
            foot_mean=float(feet.mean()) if len(feet) else 0.,
            foot_std=float(feet.std()) if len(feet) else 0.)
    return out


def build_repository(files: Sequence[tuple], out_dir: str, class_names: Sequence[str],
                     ignore_index: int = 255, min_area: int = 16,
                     progress: bool = True) -> dict:
    """Extract every region of ``files`` ((img_path, seg_map_path) pairs) into
    ``out_dir``; returns the index (also written as ``index.json``).

    Raises:
        DataValidationError: corrupt label maps, ids outside the class range,
            or ``out_dir`` holding regions of other parameters or sources.
    """
    num_classes = len(class_names)
    params = dict(version=FORMAT_VERSION, num_classes=num_classes, ignore_index=ignore_index,
                  min_area=min_area, class_names=list(class_names))
    sources = [s for _, s in files]
    od = OutputDir(out_dir, 'index.json', 'params.json')
    od.claim(dict(params, sources=sources),
             has_work=lambda: bool(glob.glob(osp.join(out_dir, 'regions', '*.npz'))))
    from mmengine.utils import ProgressBar
    bar = ProgressBar(len(files)) if progress and files else None
    for i, (_, seg_path) in enumerate(files):
        shard = osp.join(out_dir, 'regions', f'{i:06d}.npz')
        if not osp.isfile(shard):
            label = read_label(seg_path, num_classes, ignore_index)
            regions = extract_regions(label, read_instances(seg_path, label.shape),
                                      num_classes, min_area)
            counts = np.bincount(label.ravel(), minlength=256)[:num_classes]
            _save_npz(shard, regions, seg_path, counts)
        if bar:
            bar.update()
    if bar:
        print()
    return od.finish(lambda: _index(out_dir, params, sources), indent=None)[0]


def _index(out_dir: str, params: dict, sources: List[str]) -> dict:
    num_classes = params['num_classes']
    per_class: Dict[int, list] = {}
    pixels = np.zeros(num_classes, np.int64)
    images = np.zeros(num_classes, np.int64)
    for i, src in enumerate(sources):
        with np.load(osp.join(out_dir, 'regions', f'{i:06d}.npz')) as z:
            meta = json.loads(str(z['meta']))
            counts = z['counts']
        pixels += counts
        images += counts > 0
        for k, r in enumerate(meta):
            per_class.setdefault(r['cls'], []).append([i, k, r['area'], r['foot']])
    return dict(params, sources=sources, regions={str(c): v for c, v in per_class.items()},
                stats=_stats(per_class, pixels, images, params['class_names']))


class ClassRepository:
    """Read access to a repository directory (what the composer uses).

    Args:
        root (str): Directory written by :func:`build_repository`.
    """

    def __init__(self, root: str):
        path = osp.join(root, 'index.json')
        if not osp.isfile(path):
            raise DataValidationError(f'{root}: not a class repository (no index.json); '
                                      'run tools/ganaug/extract_classes.py first')
        with open(path) as f:
            self.index = json.load(f)
        self.root = root
        self.num_classes = self.index['num_classes']
        self.class_names = self.index['class_names']
        self.ignore_index = self.index['ignore_index']
        self._cache: Dict[int, List[dict]] = {}

    def num_regions(self, cls: int) -> int:
        return len(self.index['regions'].get(str(cls), []))

    def class_pixels(self) -> np.ndarray:
        return np.array([self.index['stats'][str(c)]['pixels'] for c in range(self.num_classes)],
                        np.float64)

    def region(self, cls: int, k: int) -> dict:
        """The ``k``-th region of class ``cls`` (mask unpacked)."""
        regs = self.index['regions'].get(str(cls), [])
        if not regs:
            raise DataValidationError(
                f'{self.root}: class {cls} ({self.class_names[cls]}) has an empty repository')
        src, j = regs[k][0], regs[k][1]
        if src not in self._cache:
            self._cache[src] = load_regions(osp.join(self.root, 'regions', f'{src:06d}.npz'))
        return self._cache[src][j]
