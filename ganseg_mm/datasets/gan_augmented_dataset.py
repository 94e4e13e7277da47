"""GANAugmentedDataset: real training data mixed with a GAN-synthesized set."""
from __future__ import annotations

import copy
import json
import math
import os.path as osp
from typing import Optional, Union

import numpy as np
from mmseg.registry import DATASETS

from ganseg_mm.ganaug.alignment import ALIGNMENT, kept_images
from ganseg_mm.ganaug.compose_set import IMG_SUFFIX, synthetic_layout
from ganseg_mm.utils.errors import ConfigError, DataValidationError
from .transforms.loading import IMAGE_LOADERS, step_name
from .wrapper import LazyInitWrapper

MODES = ('ratio', 'repeat_factor')


def _online_pipeline(pipeline: list, online: dict) -> list:
    unknown = set(online) - {'config', 'checkpoint', 'device'}
    if unknown or not {'config', 'checkpoint'} <= set(online):
        raise ConfigError(f'online needs config and checkpoint (and optionally device), '
                          f'got {sorted(online)}')
    loads = [i for i, t in enumerate(pipeline) if step_name(t) in IMAGE_LOADERS]
    if len(loads) != 1:
        raise ConfigError('online synthesis replaces the one image loader of the '
                          f'pipeline; found {len(loads)}')
    out = copy.deepcopy(list(pipeline))
    out[loads[0]] = dict(type='RenderImageFromLabel', **online)
    return out


@DATASETS.register_module()
class GANAugmentedDataset(LazyInitWrapper):
    """Mixes a real dataset with the synthetic set written by ``tools/ganaug/synthesize.py``.

    The mixed index is fixed by ``seed`` (identical on every rank, so any
    sampler, including DDP's, works unchanged). Each sample goes through the
    pipeline of the dataset it comes from; by default the synthetic dataset is
    the real config with ``data_root=synthetic_root`` and the ``synth`` city of
    ``leftImg8bit/<split>`` / ``gtFine/<split>`` in Cityscapes naming
    (``*_leftImg8bit.png``, ``*_gtFine_labelTrainIds.png``) whatever the real
    dataset's layout and suffixes, i.e. the same pipeline.

    Modes:

    * ``'ratio'``: ``synthetic_ratio`` of the mixed index are synthetic samples
      (e.g. 0.25: one synthetic per three real), drawn by a seeded permutation
      and cycled if more are needed than exist.
    * ``'repeat_factor'``: every real sample once; synthetic image ``i`` is
      repeated ``r_i = max(1, max_c sqrt(repeat_thr / f_c))`` times (stochastic
      rounding, seeded), ``f_c`` the fraction of synthetic images containing
      class ``c`` according to the manifest (LVIS / mmdet ClassBalancedDataset).

    Args:
        dataset (dict | BaseSegDataset): The real dataset (config or instance).
        synthetic_root (str, optional): Root of the synthetic set. Required
            unless ``synthetic`` is given.
        synthetic (dict | BaseSegDataset, optional): The synthetic dataset;
            None derives it from ``dataset`` and ``synthetic_root``. Defaults to None.
        split (str): Split folder of the synthetic set. Defaults to 'train'.
        manifest (str, optional): Manifest path. Defaults to
            ``<synthetic_root>/manifest.json``; must exist (the set is complete).
        mode (str): 'ratio' or 'repeat_factor'. Defaults to 'ratio'.
        synthetic_ratio (float): Synthetic share in [0, 1) for 'ratio'. Defaults to 0.25.
        repeat_thr (float): Image-frequency threshold for 'repeat_factor'.
            Defaults to 0.3.
        seed (int): Seed of the mixed index. Defaults to 0.
        min_alignment (float, optional): Train only on synthetic images whose
            label-alignment score (``alignment.json`` of
            ``tools/ganaug/score_alignment.py``: a segmenter's mIoU on the image
            against its label map, 0-1) is at least this. Defaults to None.
        drop_worst (float): Leave out this fraction of the synthetic images
            with the lowest alignment scores, in [0, 1) (DatasetGAN drops its
            most uncertain 10 %). Defaults to 0.
        alignment (str, optional): The scores. Defaults to
            ``<synthetic_root>/alignment.json``; read only when filtering.
        online (dict, optional): ``dict(config=..., checkpoint=..., device='cpu')``
            of a pix2pixHD generator: synthesize the images on the fly from
            the composed label maps (no ``tools/ganaug/synthesize.py`` run, no images
            on disk). The derived synthetic dataset then lists the maps of
            ``synth_<split>.txt`` and its pipeline renders instead of
            ``LoadImageFromFile`` (:class:`RenderImageFromLabel`); the manifest
            defaults to ``compose_manifest.json``. Defaults to None.
        lazy_init (bool): Defer building the index until :meth:`full_init`.
            Defaults to False.
    """

    def __init__(self, dataset: Union[dict, object], synthetic_root: Optional[str] = None,
                 synthetic: Union[dict, object, None] = None, split: str = 'train',
                 manifest: Optional[str] = None, mode: str = 'ratio',
                 synthetic_ratio: float = 0.25, repeat_thr: float = 0.3, seed: int = 0,
                 min_alignment: Optional[float] = None, drop_worst: float = 0.0,
                 alignment: Optional[str] = None, online: Optional[dict] = None,
                 lazy_init: bool = False):
        if mode not in MODES:
            raise ConfigError(f'mode must be one of {MODES}, got {mode!r}')
        if not 0 <= synthetic_ratio < 1:
            raise ConfigError(f'synthetic_ratio must be in [0, 1), got {synthetic_ratio}')
        if repeat_thr <= 0:
            raise ConfigError(f'repeat_thr must be > 0, got {repeat_thr}')
        if synthetic is None and synthetic_root is None:
            raise ConfigError('give synthetic_root or synthetic')
        if not 0 <= drop_worst < 1:
            raise ConfigError(f'drop_worst must be in [0, 1), got {drop_worst}')
        if min_alignment is not None and not 0 <= min_alignment <= 1:
            raise ConfigError(f'min_alignment must be in [0, 1], got {min_alignment}')
        self.mode, self.synthetic_ratio, self.repeat_thr = mode, synthetic_ratio, repeat_thr
        self.seed = seed
        self.min_alignment, self.drop_worst = min_alignment, drop_worst
        self.alignment_path = None
        if min_alignment is not None or drop_worst > 0:
            self.alignment_path = alignment or (osp.join(synthetic_root, ALIGNMENT)
                                                if synthetic_root else None)
            if not self.alignment_path or not osp.isfile(self.alignment_path):
                raise DataValidationError(
                    f'{self.alignment_path or "alignment"}: missing; filtering by alignment '
                    'needs the scores of tools/ganaug/score_alignment.py')
        if synthetic_root is not None and not osp.isdir(synthetic_root):
            raise DataValidationError(f'synthetic_root {synthetic_root!r} does not exist; '
                                      'run tools/ganaug/compose_labels.py and '
                                      'tools/ganaug/synthesize.py')
        default_manifest = 'compose_manifest.json' if online else 'manifest.json'
        self.manifest_path = manifest or (osp.join(synthetic_root, default_manifest)
                                          if synthetic_root else None)
        if self.manifest_path and not osp.isfile(self.manifest_path):
            raise DataValidationError(f'{self.manifest_path}: missing; the synthetic set is '
                                      'incomplete (rerun tools/ganaug/synthesize.py)')
        if synthetic is None:
            if not isinstance(dataset, dict):
                raise ConfigError('synthetic must be given when dataset is an instance')
            synthetic = copy.deepcopy(dataset)
            synthetic.pop('ann_file', None)
            # the set's own naming, whatever the real dataset's suffixes
            synthetic.update(data_root=synthetic_root, **synthetic_layout(split))
            if online is not None:
                synthetic['ann_file'] = f'synth_{split}.txt'
                if not osp.isfile(osp.join(synthetic_root, synthetic['ann_file'])):
                    raise DataValidationError(
                        f'{osp.join(synthetic_root, synthetic["ann_file"])}: missing; run '
                        'tools/ganaug/compose_labels.py first')
                synthetic['pipeline'] = _online_pipeline(synthetic.get('pipeline', []), online)
        self.real = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.synthetic = (DATASETS.build(synthetic) if isinstance(synthetic, dict)
                          else synthetic)
        if tuple(self.synthetic.metainfo['classes']) != tuple(self.real.metainfo['classes']):
            raise DataValidationError('the synthetic set has other classes than the real one')
        self._init_lazily(copy.deepcopy(self.real.metainfo), lazy_init)

    def _full_init(self) -> None:
        self.real.full_init()
        self.synthetic.full_init()
        n_real, n_syn = len(self.real), len(self.synthetic)
        if n_syn == 0:
            raise DataValidationError(f'{self.manifest_path}: the synthetic set is empty')
        kept = np.flatnonzero(self.aligned())
        if len(kept) == 0:
            raise DataValidationError(f'{self.alignment_path}: no synthetic image passes '
                                      f'min_alignment={self.min_alignment}, '
                                      f'drop_worst={self.drop_worst}')
        rng = np.random.default_rng(self.seed)
        if self.mode == 'ratio':
            want = int(round(n_real * self.synthetic_ratio / (1 - self.synthetic_ratio)))
            syn = kept[np.concatenate([rng.permutation(len(kept)) for _ in range(
                math.ceil(want / len(kept)))])[:want]] if want else np.zeros(0, np.int64)
        else:
            factors = self.repeat_factors(kept)
            reps = np.floor(factors).astype(np.int64)
            reps += rng.random(n_syn) < factors - reps
            syn = np.repeat(np.arange(n_syn), reps)
        self.index = np.concatenate([
            np.stack([np.zeros(n_real, np.int64), np.arange(n_real)], 1),
            np.stack([np.ones(len(syn), np.int64), syn.astype(np.int64)], 1)])

    def repeat_factors(self, kept: Optional[np.ndarray] = None) -> np.ndarray:
        """Per synthetic sample (dataset order) its class-balanced repeat
        factor; with ``kept`` (indices), frequencies count those samples only
        and the others get 0."""
        rows = self.synthetic_class_pixels()
        kept = np.arange(len(rows)) if kept is None else np.asarray(kept)
        present = [set(np.flatnonzero(rows[i]).tolist()) for i in kept]
        freq = {}
        for cs in present:
            for c in cs:
                freq[c] = freq.get(c, 0) + 1
        n = max(len(present), 1)
        out = np.zeros(len(rows))
        out[kept] = [max([1.] + [math.sqrt(self.repeat_thr / (freq[c] / n)) for c in cs])
                     for cs in present]
        return out

    def aligned(self) -> np.ndarray:
        """Per synthetic sample (dataset order) whether it passes the alignment
        filter (all True without one)."""
        if self.alignment_path is None:
            return np.ones(len(self.synthetic), bool)
        with open(self.alignment_path) as f:
            scores = json.load(f)
        keep = kept_images(scores, self.min_alignment, self.drop_worst)
        scored = {r['name'] for r in scores['images']}
        names = [osp.basename(self.synthetic.get_data_info(i)['img_path'])[:-len(IMG_SUFFIX)]
                 for i in range(len(self.synthetic))]
        unscored = [n for n in names if n not in scored]
        if unscored:
            raise DataValidationError(f'{self.alignment_path}: no score for {unscored[0]} '
                                      f'({len(unscored)} images); rerun '
                                      'tools/ganaug/score_alignment.py')
        return np.array([n in keep for n in names], bool)

    def synthetic_class_pixels(self) -> np.ndarray:
        """``[len(synthetic), num_classes]`` pixel counts of the synthetic
        samples (dataset order), as the manifest records them."""
        with open(self.manifest_path) as f:
            man = json.load(f)
        if 'images' in man:  # manifest.json of tools/ganaug/synthesize.py
            by_name = {osp.basename(m['img']): m for m in man['images']}
        else:  # compose_manifest.json (online synthesis)
            by_name = {m['name'] + IMG_SUFFIX: m for m in man['maps']}
        num_classes = len(self._metainfo['classes'])
        out = np.zeros((len(self.synthetic), num_classes), np.int64)
        for i in range(len(self.synthetic)):
            name = osp.basename(self.synthetic.get_data_info(i)['img_path'])
            if name not in by_name:
                raise DataValidationError(f'{self.manifest_path}: no entry for {name}')
            for c, n in by_name[name]['class_pixels'].items():
                if int(c) < num_classes:
                    out[i, int(c)] = n
        return out

    def image_class_pixels(self, cache_dir: Optional[str] = None,
                           progress: bool = False) -> np.ndarray:
        """Pixel counts per class of every mixed sample (see
        :func:`~ganseg_mm.datasets.class_stats.image_class_pixels`): real
        samples from their label maps, synthetic ones from the manifest."""
        from .class_stats import image_class_pixels
        self.full_init()
        real = image_class_pixels(self.real, cache_dir, progress)
        both = np.concatenate([real, self.synthetic_class_pixels()])
        return both[self.index[:, 0] * len(real) + self.index[:, 1]]

    def __len__(self) -> int:
        self.full_init()
        return len(self.index)

    def _locate(self, idx: int):
        src, j = self.index[idx]
        return (self.synthetic if src else self.real), int(j)

    def get_data_info(self, idx: int) -> dict:
        ds, j = self._locate(idx)
        return ds.get_data_info(j)

    def is_synthetic(self, idx: int) -> bool:
        return bool(self.index[idx][0])

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        ds, j = self._locate(idx)
        return ds[j]
