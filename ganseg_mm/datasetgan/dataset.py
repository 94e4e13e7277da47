"""The interpreter's training data: annotated latents of one samples directory."""
from __future__ import annotations

import glob
import os.path as osp

import torch
from mmengine.config import Config
from mmseg.registry import DATASETS
from torch.utils.data import Dataset

from ganseg_mm.datasets.errors import DataValidationError

from .annotations import check_mask, load_latents, read_png_mask, sample_name


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
