"""The interpreter's training data: annotated latents of one samples directory."""
from __future__ import annotations

import glob
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from ganseg_mm.utils.errors import ConfigError, DataValidationError
from ganseg_mm.utils.labels import check_label_ids

LATENT_KEYS = ('w', 'out_size', 'style_channels', 'gan_config', 'gan_checkpoint', 'seed',
               'truncation')


def sample_name(i: int) -> str:
    return f'sample_{i:05d}'


def load_latents(path: str, style_channels: int | None = None,
                 out_size: int | None = None) -> dict:
    """Read a latent file; check it matches a generator's ``style_channels``
    and ``out_size`` when given (DataValidationError otherwise)."""
    if not osp.isfile(path):
        raise DataValidationError(f'{path}: latent file not found')
    try:
        info = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as e:  # noqa: BLE001 (corrupt file: any unpickling error)
        raise DataValidationError(f'{path}: not a latent file ({e})') from e
    if not isinstance(info, dict) or any(k not in info for k in LATENT_KEYS):
        raise DataValidationError(f'{path}: not a latent file (needs keys {LATENT_KEYS})')
    w = info['w']
    if not torch.is_tensor(w) or w.dim() != 2:
        raise DataValidationError(f'{path}: latents must be (N, style_channels)')
    if style_channels is not None and w.shape[1] != style_channels:
        raise DataValidationError(
            f'{path}: latents have {w.shape[1]} channels but the generator takes '
            f'style_channels={style_channels} (made by {info["gan_config"]})')
    if out_size is not None and info['out_size'] != out_size:
        raise DataValidationError(
            f'{path}: latents were made for a {info["out_size"]} px generator, this one '
            f'is {out_size} px (made by {info["gan_config"]})')
    return info


def check_mask(mask: np.ndarray, size: int, num_classes: int, ignore_index: int = 255,
               source: str = 'mask') -> np.ndarray:
    """Return ``mask`` as uint8 after checking its size and class ids."""
    if mask.ndim != 2 or mask.shape != (size, size):
        raise DataValidationError(f'{source}: annotation is {mask.shape[1::-1]} (w, h), the '
                                  f'generated images are {size}x{size}')
    check_label_ids(np.unique(mask), num_classes, ignore_index, source)
    return mask.astype(np.uint8)


def read_png_mask(path: str) -> np.ndarray:
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise DataValidationError(f'{path}: not a readable image')
    if mask.ndim == 3:
        raise DataValidationError(f'{path}: annotation must be single-channel class ids, '
                                  f'got {mask.shape[2]} channels')
    return mask


PARTS = ('all', 'train', 'heldout')


def heldout_indices(n: int, fraction: float) -> set:
    """Indices of the held-out annotations among ``n`` sorted ones: every
    ``round(1 / fraction)``-th, starting with the last, at least one when
    ``fraction > 0`` and ``n >= 2``, never all of them."""
    if fraction <= 0 or n < 2:
        return set()
    step = max(1, round(1 / fraction))
    held = set(range(n - 1, -1, -step))
    while len(held) >= n:
        held.discard(min(held))
    return held


@DATASETS.register_module()
class DatasetGANAnnotationDataset(Dataset):
    """Pairs ``(w, gt)`` of the annotated samples (``ann_dir/sample_XXXXX.png``).

    Items are dicts ``w`` (style_channels,), ``gt`` (S, S) long, ``index``;
    use ``collate_fn=dict(type='default_collate')``.

    Args:
        samples_dir (str): Output of ``tools/datasetgan/generate_samples.py``.
        ann_dir (str): Output of ``tools/datasetgan/import_annotations.py``.
        classes (list[str]): Class names (their number is the class count).
        subset (tuple[int, int], optional): ``(start, stop)`` slice of the
            sorted annotations. Defaults to None (all).
        heldout_fraction (float): Share of the annotations held out from
            interpreter training, for validation and early stopping (at least
            one as soon as the share is > 0 and there are two or more).
            Every ``round(1 / fraction)``-th sorted annotation is held out, so
            the held-out ones spread over the set. Defaults to 0.
        part (str): ``'all'``, ``'train'`` (without the held-out ones) or
            ``'heldout'``. Defaults to ``'all'``.
        ignore_index (int): Unlabelled id. Defaults to 255.
        gan_config (str, optional): The interpreter's GAN config; the latent
            file must match its generator (``style_channels``, ``out_size``).
            Defaults to None (not checked here; the model checks shapes).
    """

    def __init__(self, samples_dir, ann_dir, classes, subset=None, ignore_index=255,
                 gan_config=None, heldout_fraction=0.0, part='all'):
        if part not in PARTS:
            raise ConfigError(f'part must be one of {PARTS}, got {part!r}')
        if not 0 <= heldout_fraction < 1:
            raise ConfigError(f'heldout_fraction must be in [0, 1), got {heldout_fraction}')
        self.metainfo = dict(classes=tuple(classes))
        expect = {}
        if gan_config is not None:
            if not osp.isfile(gan_config):
                raise DataValidationError(f'{gan_config}: GAN config not found')
            g = Config.fromfile(gan_config).model.generator
            expect = dict(style_channels=g.style_channels, out_size=g.out_size)
        info = load_latents(osp.join(samples_dir, 'latents.pt'), **expect)
        files = sorted(glob.glob(osp.join(ann_dir, 'sample_*.png')))
        if subset is not None:
            files = files[slice(*subset)]
        held = heldout_indices(len(files), heldout_fraction)
        if part != 'all':
            files = [f for i, f in enumerate(files) if (i in held) == (part == 'heldout')]
        if not files:
            raise DataValidationError(f'{ann_dir}: no annotations sample_XXXXX.png '
                                      f'(subset={subset}, part={part!r}, '
                                      f'heldout_fraction={heldout_fraction})')
        self.w, self.gt, self.index = [], [], []
        n = info['w'].shape[0]
        for f in files:
            stem = osp.splitext(osp.basename(f))[0]
            idx = int(stem.split('_')[1]) if stem.split('_')[1].isdigit() else -1
            if not 0 <= idx < n or stem != sample_name(idx):
                raise DataValidationError(f'{f}: no latent for this annotation '
                                          f'({samples_dir} has {n} samples)')
            mask = check_mask(read_png_mask(f), info['out_size'], len(classes),
                              ignore_index, f)
            self.w.append(info['w'][idx].float())
            self.gt.append(torch.from_numpy(mask).long())
            self.index.append(idx)
        self.style_channels = info['w'].shape[1]

    def __len__(self):
        return len(self.gt)

    def __getitem__(self, i):
        return dict(w=self.w[i], gt=self.gt[i], index=self.index[i])
