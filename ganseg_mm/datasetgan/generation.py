"""Sampling latents and writing the uncertainty-filtered synthetic dataset.

Every generated image ``i`` has its own seed (``seed + i``), so any shard
(``i % num_shards == shard``) and any resumed run produce the same images.
Labelling writes ``_work/<name>_{leftImg8bit,gtFine_labelTrainIds}.png`` and
then ``_work/<name>.json`` (score; written last = the image is done). When
all images are done, :func:`finalize` drops the ``drop_fraction`` most
uncertain and moves the others into the Cityscapes layout read by mmseg's
``CityscapesDataset``, then writes ``manifest.json``.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp

import numpy as np
import torch
from mmengine.utils import ProgressBar

from ganseg_mm.utils.io import atomic_write_png, atomic_write_text

from ganseg_mm.models.utils.ensemble_uncertainty import image_score, keep_mask

IMG_SUFFIX, SEG_SUFFIX = '_leftImg8bit.png', '_gtFine_labelTrainIds.png'


@torch.no_grad()
def sample_w(generator, seeds, truncation: float = 1.0, mean_w=None) -> torch.Tensor:
    """W-space latents ``(len(seeds), style_channels)``, one seeded z each;
    ``truncation`` < 1 pulls them towards ``mean_w``."""
    if not 0 < truncation <= 1:
        raise ValueError(f'truncation must be in (0, 1], got {truncation}')
    z = torch.stack([torch.randn(generator.noise_size,
                                 generator=torch.Generator().manual_seed(int(s)))
                     for s in seeds])
    w = generator.style_mapping(z.to(next(generator.parameters()).device))
    if truncation < 1:
        w = mean_w + truncation * (w - mean_w)
    return w


@torch.no_grad()
def mean_latent(generator, num: int = 4096, seed: int = 12345) -> torch.Tensor:
    """Average W of ``num`` seeded z (the truncation centre)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(num, generator.noise_size, generator=g)
    return generator.style_mapping(z.to(next(generator.parameters()).device)).mean(0)


def image_name(i: int) -> str:
    return f'datasetgan_{i:06d}'


def label_images(model, out_dir: str, num: int, seed: int, shard=(0, 1), batch_size=4,
                 truncation=1.0, top_fraction=0.1, progress=True) -> int:
    """Label this shard's images not yet done; returns how many were made."""
    work = osp.join(out_dir, '_work')
    todo = [i for i in range(shard[0], num, shard[1])
            if not osp.isfile(osp.join(work, image_name(i) + '.json'))]
    mean_w = mean_latent(model.generator) if truncation < 1 else None
    bar = ProgressBar(len(todo)) if progress and todo else None
    for s in range(0, len(todo), batch_size):
        idx = todo[s:s + batch_size]
        w = sample_w(model.generator, [seed + i for i in idx], truncation, mean_w)
        imgs, labels, js = model.label_latents(w)
        for k, i in enumerate(idx):
            name = osp.join(work, image_name(i))
            atomic_write_png(name + IMG_SUFFIX, imgs[k])  # BGR, see to_uint8
            atomic_write_png(name + SEG_SUFFIX, labels[k].cpu().numpy().astype(np.uint8))
            score = image_score(js[k], top_fraction)
            hist = np.bincount(labels[k].cpu().numpy().ravel(),
                               minlength=model.head.num_classes)
            atomic_write_text(name + '.json', json.dumps(dict(
                index=i, seed=seed + i, score=score, mean_js=float(js[k].mean()),
                class_pixels=hist.tolist())))
            if bar is not None:
                bar.update()
    return len(todo)


def finalize(out_dir: str, num: int, drop_fraction: float, split='train', city='datasetgan',
             extra=None):
    """If all ``num`` images are labelled, filter and write the dataset;
    returns the manifest dict, or None when images are still missing."""
    work = osp.join(out_dir, '_work')
    manifest_path = osp.join(out_dir, 'manifest.json')
    if osp.isfile(manifest_path):
        with open(manifest_path) as f:
            return json.load(f)
    recs = []
    for i in range(num):
        p = osp.join(work, image_name(i) + '.json')
        if not osp.isfile(p):
            return None
        with open(p) as f:
            recs.append(json.load(f))
    keep = keep_mask([r['score'] for r in recs], drop_fraction)
    img_dir = osp.join(out_dir, 'leftImg8bit', split, city)
    seg_dir = osp.join(out_dir, 'gtFine', split, city)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(seg_dir, exist_ok=True)
    for r, k in zip(recs, keep):
        r['kept'] = k
        name = image_name(r['index'])
        for suffix, d in ((IMG_SUFFIX, img_dir), (SEG_SUFFIX, seg_dir)):
            src, dst = osp.join(work, name + suffix), osp.join(d, name + suffix)
            if k and osp.isfile(src):
                os.replace(src, dst)  # atomic; a rerun finds dst already there
    kept_scores = [r['score'] for r in recs if r['kept']]
    manifest = dict(
        num_generated=num, num_kept=sum(keep), drop_fraction=drop_fraction,
        split=split, city=city,
        score_threshold=max(kept_scores) if kept_scores else None,
        images=recs, **(extra or {}))
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1))
    for p in glob.glob(osp.join(work, '*')):  # the dropped images and the records
        os.remove(p)
    os.rmdir(work)
    return manifest
