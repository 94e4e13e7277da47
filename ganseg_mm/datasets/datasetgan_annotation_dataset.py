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

from ganseg_mm.utils.errors import DataValidationError
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
            sorted annotations (e.g. to hold some out). Defaults to None (all).
        ignore_index (int): Unlabelled id. Defaults to 255.
        gan_config (str, optional): The interpreter's GAN config; the latent
            file must match its generator (``style_channels``, ``out_size``).
            Defaults to None (not checked here; the model checks shapes).
    """

    def __init__(self, samples_dir, ann_dir, classes, subset=None, ignore_index=255,
                 gan_config=None):
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
        if not files:
            raise DataValidationError(f'{ann_dir}: no annotations sample_XXXXX.png '
                                      f'(subset={subset})')
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
