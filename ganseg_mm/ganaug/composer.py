"""Label-map composition (GAN augmentation: "reconstruction").

New label maps are made from base label maps by pasting regions of
under-represented classes taken from a :class:`ClassRepository`, so that the
class-pixel distribution of the composed set moves toward a target (each
paste's class drawn in proportion to its deficit, counted over the maps
composed so far and the current one as it stands):

* ``'sqrt'``: target proportional to the square root of the base frequency;
* ``'inverse'``: inverse-frequency weighting, i.e. a uniform target;
* a dict ``{class_id: factor}``: base frequency times factor (others 1).

Placement keeps the region's source vertical position (its foot row, as a
fraction of the height) and a scale in ``scale_range`` of its source size;
regions of ``thing_classes`` must stand on one of ``ground_classes`` (the base
pixel under their foot). Which classes are things and which are ground is
configuration: Cityscapes' by default when the classes are Cityscapes' 19,
none otherwise (no class is forced onto another). Occlusion: a pasted region
goes behind base thing instances whose foot is lower in the image (nearer the
camera) and in front of the rest; ignore pixels of the base stay ignore.
Instance ids follow the data: a pasted thing gets a new instance id (>= 1000,
as Cityscapes' things) only when the base map has an instance map; pasted
stuff gets id 0, never a thing-style id, so no false instance edges appear
inside stuff. Everything is driven by one ``numpy`` generator seeded per
output map, so composition is deterministic.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np

from ganseg_mm.utils.errors import ConfigError, DataValidationError
from .class_repository import ClassRepository

# Cityscapes trainIds
CITYSCAPES_THINGS = (11, 12, 13, 14, 15, 16, 17, 18)  # person .. bicycle
CITYSCAPES_GROUND = (0, 1, 9)  # road, sidewalk, terrain


def default_layout(class_names: Sequence[str]) -> tuple:
    """(thing_classes, ground_classes) for these classes: Cityscapes' when
    they are Cityscapes' 19 trainId classes, else none (pastes go anywhere)."""
    from mmseg.datasets import CityscapesDataset
    if tuple(class_names) == tuple(CityscapesDataset.METAINFO['classes']):
        return CITYSCAPES_THINGS, CITYSCAPES_GROUND
    return (), ()


def resolve_classes(values: Sequence, class_names: Sequence[str], what: str) -> List[int]:
    """Sorted class ids from ids or names (``what`` names the setting in errors)."""
    ids = []
    for v in values:
        if isinstance(v, str) and not v.isdigit():
            if v not in class_names:
                raise ConfigError(f'{what}: unknown class {v!r}; the classes are '
                                  f'{", ".join(class_names)}')
            ids.append(list(class_names).index(v))
        elif not 0 <= int(v) < len(class_names):
            raise ConfigError(f'{what}: class id {v} outside [0, {len(class_names)})')
        else:
            ids.append(int(v))
    return sorted(set(ids))


def target_distribution(freq: np.ndarray, target: Union[str, Dict[int, float]]) -> np.ndarray:
    """Normalised target class distribution from base frequencies ``freq``."""
    freq = np.asarray(freq, np.float64)
    freq = freq / max(freq.sum(), 1e-12)
    if target == 'sqrt':
        t = np.sqrt(freq)
    elif target == 'inverse':
        t = (freq > 0).astype(np.float64)
    elif isinstance(target, dict):
        bad = [c for c in target if not 0 <= int(c) < len(freq)]
        if bad:
            raise ValueError(f'target factors name classes {bad} outside [0, {len(freq)})')
        t = freq.copy()
        for c, f in target.items():
            t[int(c)] *= float(f)
    else:
        raise ValueError(f"target must be 'sqrt', 'inverse' or a dict, got {target!r}")
    return t / max(t.sum(), 1e-12)


def distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total-variation distance between two (normalised here) distributions."""
    p = np.asarray(p, np.float64) / max(np.sum(p), 1e-12)
    q = np.asarray(q, np.float64) / max(np.sum(q), 1e-12)
    return 0.5 * float(np.abs(p - q).sum())


class LabelComposer:
    """Pastes repository regions into base label maps toward a target distribution.

    Args:
        repository (ClassRepository): Regions and base statistics.
        target (str | dict): 'sqrt', 'inverse' or ``{class_id: factor}``.
            Defaults to 'sqrt'.
        classes (Sequence[int], optional): Classes that may be pasted; None =
            every class with regions. A listed class with an empty repository
            raises. Defaults to None.
        thing_classes (Sequence[int | str], optional): Classes that must stand
            on ground and get instance ids (ids or names). None: see
            :func:`default_layout`. Defaults to None.
        ground_classes (Sequence[int | str], optional): What things stand on.
            None: see :func:`default_layout`. Defaults to None.
        pastes_per_map (tuple[int, int]): Min/max pastes per output map.
            Defaults to (1, 32).
        paste_fraction (float): A map stops pasting once this share of its
            pixels has been pasted (after the minimum number of pastes). A
            pixel budget rather than a count, so that datasets whose rare
            regions are small get as much of the target as those whose rare
            regions are large. Defaults to 0.2.
        scale_range (tuple[float, float]): Scale relative to the source region.
            Defaults to (0.8, 1.25).
        max_tries (int): Placement attempts per paste. Defaults to 20.
        seed (int): Base seed; map ``i`` uses ``seed + i``. Defaults to 0.
    """

    def __init__(self, repository: ClassRepository, target: Union[str, dict] = 'sqrt',
                 classes: Optional[Sequence[int]] = None,
                 thing_classes: Optional[Sequence] = None,
                 ground_classes: Optional[Sequence] = None,
                 pastes_per_map: tuple = (1, 32), paste_fraction: float = 0.2,
                 scale_range: tuple = (0.8, 1.25), max_tries: int = 20, seed: int = 0):
        if not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError(f'scale_range must be 0 < lo <= hi, got {scale_range}')
        if not 0 <= pastes_per_map[0] <= pastes_per_map[1]:
            raise ValueError(f'pastes_per_map must be 0 <= lo <= hi, got {pastes_per_map}')
        if not 0 < paste_fraction <= 1:
            raise ValueError(f'paste_fraction must be in (0, 1], got {paste_fraction}')
        self.repo = repository
        n = repository.num_classes
        if classes is None:
            classes = [c for c in range(n) if repository.num_regions(c)]
        for c in classes:
            if not 0 <= c < n:
                raise ValueError(f'class {c} outside [0, {n})')
            if not repository.num_regions(c):
                raise DataValidationError(f'{repository.root}: class {c} '
                                          f'({repository.class_names[c]}) has an empty '
                                          'repository and cannot be pasted')
        self.classes = np.array(sorted(classes), np.int64)
        things, ground = default_layout(repository.class_names)
        things = resolve_classes(things if thing_classes is None else thing_classes,
                                 repository.class_names, 'thing_classes')
        ground = resolve_classes(ground if ground_classes is None else ground_classes,
                                 repository.class_names, 'ground_classes')
        if things and not ground:
            raise ConfigError('thing_classes need ground_classes to stand on')
        self.things, self.ground = set(things), np.array(ground, np.int64)
        self.pastes_per_map, self.scale_range = pastes_per_map, scale_range
        self.paste_fraction = paste_fraction
        self.max_tries, self.seed = max_tries, seed
        self.target = target_distribution(repository.class_pixels(), target)
        self.totals = np.zeros(n, np.float64)  # pixels of the maps composed so far

    def _pick_class(self, rng: np.random.Generator, totals: np.ndarray) -> Optional[int]:
        cur = totals / max(totals.sum(), 1.)
        deficit = np.clip(self.target[self.classes] - cur[self.classes], 0, None)
        if deficit.sum() <= 0:
            return None
        return int(rng.choice(self.classes, p=deficit / deficit.sum()))

    def compose(self, label: np.ndarray, inst: Optional[np.ndarray], index: int) -> tuple:
        """Compose map ``index`` from ``label``/``inst``; returns (label, inst, pastes)."""
        rng = np.random.default_rng(self.seed + index)
        label = label.copy()
        h, w = label.shape
        with_ids = inst is not None  # no instance map: pastes get none either
        inst = np.zeros((h, w), np.int32) if inst is None else inst.astype(np.int32).copy()
        foot = _instance_feet(inst, h)
        pastes, next_id = [], int(inst.max()) + 1
        n = len(self.totals)
        pasted, budget = 0, self.paste_fraction * h * w
        for k in range(self.pastes_per_map[1]):
            if k >= self.pastes_per_map[0] and pasted >= budget:
                break
            # the deficit counts this map as it stands: a class this map already
            # raised to its target is not pasted again (greedy, no overshoot)
            c = self._pick_class(rng, self.totals + np.bincount(label.ravel(), minlength=256)[:n])
            if c is None:
                break
            k = int(rng.integers(self.repo.num_regions(c)))
            new_id = next_id + 1000 if with_ids and c in self.things else 0
            done = self._paste(label, inst, foot, self.repo.region(c, k), rng, new_id)
            if done is not None:
                done.update(cls=c, region=k)
                pastes.append(done)
                pasted += done['pixels']
                if new_id:
                    foot[new_id] = done['foot']
                    next_id += 1
        self.totals += np.bincount(label.ravel(), minlength=256)[:n]
        return label, inst, pastes

    def _paste(self, label, inst, foot, region, rng, new_id) -> Optional[dict]:
        h, w = label.shape
        sy, sx = h / region['height'], w / region['width']
        for _ in range(self.max_tries):
            s = rng.uniform(*self.scale_range)
            mh = max(1, int(round(region['mask'].shape[0] * s * sy)))
            mw = max(1, int(round(region['mask'].shape[1] * s * sx)))
            if mh > h or mw > w:
                continue
            mask = cv2.resize(region['mask'].astype(np.uint8), (mw, mh),
                              interpolation=cv2.INTER_NEAREST).astype(bool)
            y1 = int(round(region['foot'] * h))  # keep the source's vertical position
            y1 = min(max(y1, mh), h)
            x0 = int(rng.integers(0, w - mw + 1))
            y0 = y1 - mh
            if region['cls'] in self.things:
                g = label[min(y1, h - 1), x0 + mw // 2]
                if g not in self.ground:
                    continue
            win_l, win_i = label[y0:y1, x0:x0 + mw], inst[y0:y1, x0:x0 + mw]
            keep = win_l == self.repo.ignore_index  # ignore stays ignore
            nearer = [i for i in np.unique(win_i[mask]) if foot.get(int(i), -1) > y1 / h]
            if nearer:
                keep |= np.isin(win_i, nearer)  # occluded by nearer base instances
            put = mask & ~keep
            if put.sum() < 0.5 * mask.sum():
                continue
            win_l[put] = region['cls']
            win_i[put] = new_id
            return dict(bbox=[x0, y0, x0 + mw, y1], scale=round(float(s), 3), foot=y1 / h,
                        source=region['source'], pixels=int(put.sum()))
        return None


def _instance_feet(inst: np.ndarray, h: int) -> Dict[int, float]:
    """Foot row (fraction of height) of every thing instance (id >= 1000)."""
    feet = {}
    for i in np.unique(inst):
        if i >= 1000:
            ys = np.nonzero((inst == i).any(1))[0]
            feet[int(i)] = (ys.max() + 1) / h
    return feet
