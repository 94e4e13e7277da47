"""RareClassSamplingDataset: DAFormer's rare-class sampling for any mmseg dataset."""
from __future__ import annotations

import hashlib
import os.path as osp
from typing import Optional, Union

import numpy as np
from mmengine.dist import broadcast_object_list, get_rank, is_distributed
from mmengine.logging import MMLogger
from mmseg.registry import DATASETS

from ganseg_mm.utils.errors import ConfigError, DataValidationError
from .class_stats import image_class_pixels
from .wrapper import LazyInitWrapper

DEFAULT_CACHE = '~/.cache/ganseg_mm/class_stats'


def rcs_class_probabilities(pixels: np.ndarray, temperature: float) -> np.ndarray:
    """DAFormer's sampling probability of each class (Hoyer et al., CVPR 2022):
    ``P(c) = softmax_c((1 - f_c) / T)`` with ``f_c`` the class's share of all
    counted pixels. Classes with no pixels get probability 0.

    Args:
        pixels (np.ndarray): Pixel count per class.
        temperature (float): ``T``; small values favour the rarest classes,
            large ones approach uniform sampling over the present classes.
    """
    pixels = np.asarray(pixels, np.float64)
    present = pixels > 0
    if not present.any():
        raise DataValidationError('no labelled pixels: nothing to sample rare classes from')
    freq = pixels / pixels.sum()
    logits = np.where(present, (1.0 - freq) / temperature, -np.inf)
    p = np.exp(logits - logits[present].max())
    return p / p.sum()


@DATASETS.register_module()
class RareClassSamplingDataset(LazyInitWrapper):
    """Rare-class sampling (RCS) of DAFormer (Hoyer et al., "DAFormer: Improving
    Network Architectures and Training Strategies for Domain-Adaptive Semantic
    Segmentation", CVPR 2022) for mmseg 1.x.

    Each sample first draws a class ``c`` with probability
    :func:`rcs_class_probabilities` (rare classes more often), then an image
    uniformly among those holding at least ``min_pixels`` pixels of ``c``.
    The pipeline (random resize, crop, ...) then runs up to ``crop_tries``
    times until the crop keeps at least ``min_crop_ratio * min_pixels``
    pixels of ``c``, so a random crop does not cut away the rare class it was
    sampled for.

    The per-image class pixel counts are read once (with a progress bar) and
    cached under a hash of the label files (a changed file list or label is
    read again). A wrapped :class:`GANAugmentedDataset` gives its synthetic
    samples' counts from its manifest. The sampled index is fixed at
    :meth:`full_init` by ``seed``, so every rank holds the same index and any
    sampler, DDP's included, shards it unchanged; under DDP rank 0 counts the
    statistics and broadcasts them with its seed.

    Args:
        dataset (dict | BaseSegDataset): The dataset to sample from.
        temperature (float): ``T`` of the class distribution. Defaults to
            0.01 (DAFormer).
        min_pixels (int): Pixels of ``c`` an image needs to be drawn for ``c``
            (at label-map resolution). Defaults to 3000 (DAFormer, for
            full-resolution label maps).
        min_crop_ratio (float): The crop must keep ``min_crop_ratio *
            min_pixels`` pixels of ``c``; 0 disables crop biasing. Defaults
            to 0.5 (DAFormer).
        crop_tries (int): Pipeline runs at most per sample. Defaults to 10.
        num_samples (int, optional): Length of the sampled index. Set it to
            the number of samples a schedule draws (iterations x total batch)
            for independent draws throughout; None keeps the dataset's
            length (the index is then revisited every epoch). Defaults to None.
        seed (int, optional): Seed of the index; None draws it from numpy's
            global state, which mmengine seeds from ``randomness.seed``
            identically on every rank. Defaults to None.
        cache_dir (str, optional): Folder of the class-statistics cache;
            None disables it. Defaults to ``~/.cache/ganseg_mm/class_stats``.
        lazy_init (bool): Defer counting and sampling until :meth:`full_init`.
            Defaults to False.
    """

    def __init__(self, dataset: Union[dict, object], temperature: float = 0.01,
                 min_pixels: int = 3000, min_crop_ratio: float = 0.5, crop_tries: int = 10,
                 num_samples: Optional[int] = None, seed: Optional[int] = None,
                 cache_dir: Optional[str] = DEFAULT_CACHE, lazy_init: bool = False):
        if temperature <= 0:
            raise ConfigError(f'temperature must be > 0, got {temperature}')
        if min_pixels < 1:
            raise ConfigError(f'min_pixels must be >= 1, got {min_pixels}')
        if min_crop_ratio < 0:
            raise ConfigError(f'min_crop_ratio must be >= 0, got {min_crop_ratio}')
        if crop_tries < 1:
            raise ConfigError(f'crop_tries must be >= 1, got {crop_tries}')
        if num_samples is not None and num_samples < 1:
            raise ConfigError(f'num_samples must be >= 1, got {num_samples}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.temperature, self.min_pixels = temperature, min_pixels
        self.min_crop_pixels = min_crop_ratio * min_pixels
        self.crop_tries, self.num_samples = crop_tries, num_samples
        self.seed = int(np.random.randint(2**31)) if seed is None else seed
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir else None
        self._lazy = lazy_init
        self._init_lazily(self.dataset.metainfo, lazy_init)

    def _full_init(self) -> None:
        self.dataset.full_init() if hasattr(self.dataset, 'full_init') else None
        pixels, self.seed = self._shared_statistics()
        if len(pixels) == 0:
            raise DataValidationError('rare-class sampling: the dataset is empty')
        eligible = [np.flatnonzero(pixels[:, c] >= self.min_pixels)
                    for c in range(pixels.shape[1])]
        prob = rcs_class_probabilities(pixels.sum(0), self.temperature)
        usable = np.array([len(e) > 0 for e in eligible]) & (prob > 0)
        if not usable.any():
            raise DataValidationError(
                f'rare-class sampling: no image holds min_pixels={self.min_pixels} pixels of '
                'any class; lower min_pixels')
        prob = np.where(usable, prob, 0.0)
        self.class_probabilities = prob / prob.sum()
        self.images_per_class = np.array([len(e) for e in eligible])
        rng = np.random.default_rng(self.seed)
        n = self.num_samples or len(self.dataset)
        classes = rng.choice(len(prob), size=n, p=self.class_probabilities)
        pick = (rng.random(n) * self.images_per_class[classes]).astype(np.int64)
        images = np.array([eligible[c][k] for c, k in zip(classes, pick)], np.int64)
        self.index = np.stack([classes, images], 1)
        if not self._lazy and is_distributed():  # a sharded index must be one index
            digest = hashlib.sha1(self.index.tobytes()).hexdigest()
            box = [digest]
            broadcast_object_list(box, src=0)
            if box[0] != digest:
                raise RuntimeError(f'rank {get_rank()}: the rare-class sampling index '
                                   "differs from rank 0's")
        self._log_probabilities(pixels.sum(0))

    def _shared_statistics(self):
        """The class statistics and the seed; under DDP rank 0's, broadcast, so
        every rank draws the same index (also with ``diff_rank_seed``)."""
        if self._lazy or not is_distributed():  # lazily: maybe in a worker, no collectives
            return image_class_pixels(self.dataset, self.cache_dir, progress=True), self.seed
        box = [image_class_pixels(self.dataset, self.cache_dir, progress=True)
               if get_rank() == 0 else None, self.seed]
        broadcast_object_list(box, src=0)
        return box[0], box[1]

    def _log_probabilities(self, pixels: np.ndarray) -> None:
        classes = self._metainfo['classes']
        share = pixels / max(pixels.sum(), 1)
        order = np.argsort(-self.class_probabilities)
        lines = [f'{classes[c]}: p={self.class_probabilities[c]:.3f} (pixel share '
                 f'{share[c]:.4f}, {self.images_per_class[c]} images)'
                 for c in order if self.class_probabilities[c] > 0]
        skipped = [classes[c] for c in range(len(classes)) if self.class_probabilities[c] == 0]
        MMLogger.get_current_instance().info(
            f'rare-class sampling over {len(self.dataset)} images, T={self.temperature}, '
            f'min_pixels={self.min_pixels}: ' + '; '.join(lines)
            + (f'; never sampled (no image with min_pixels): {", ".join(skipped)}'
               if skipped else ''))

    def __len__(self) -> int:
        self.full_init()
        return len(self.index)

    def sampled_class(self, idx: int) -> int:
        """The class sample ``idx`` was drawn for."""
        self.full_init()
        return int(self.index[idx][0])

    def get_data_info(self, idx: int) -> dict:
        self.full_init()
        return self.dataset.get_data_info(int(self.index[idx][1]))

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        c, j = (int(v) for v in self.index[idx])
        for _ in range(self.crop_tries):
            data = self.dataset[j]
            if self.min_crop_pixels <= 0 or self._class_pixels_in(data, c) >= \
                    self.min_crop_pixels:
                break
        return data

    @staticmethod
    def _class_pixels_in(data: dict, c: int) -> int:
        sample = data.get('data_samples') if isinstance(data, dict) else None
        seg = getattr(sample, 'gt_sem_seg', None)
        if seg is None:  # a pipeline without labels: nothing to bias the crop by
            return np.iinfo(np.int64).max
        return int((seg.data == c).sum())
