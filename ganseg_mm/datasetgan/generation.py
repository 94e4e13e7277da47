"""Sampling latents and writing the uncertainty-filtered synthetic dataset.

Every generated image ``i`` has its own seed (``seed + i``), so any shard
(``i % num_shards == shard``) and any resumed run produce the same images.
Labelling writes ``_work/<name>_{leftImg8bit,gtFine_labelTrainIds}.png`` and
then ``_work/<name>.json`` (score; written last = the image is done). When
all images are done, :func:`finalize` drops the ``drop_fraction`` most
uncertain and moves the others into the Cityscapes layout read by mmseg's
``CityscapesDataset``, then writes ``manifest.json`` and removes ``_work/``.

The folder is an :class:`~ganseg_mm.utils.output_dir.OutputDir`:
:func:`claim_output` records the parameters in ``params.json``; a rerun with
another ``drop`` reuses the labelled images and their scores (only the final
selection depends on it), any other difference is refused. :func:`finalize`
runs once under a lock however many shards reach it.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
import shutil
from typing import List

import numpy as np
import torch
from mmengine.utils import ProgressBar

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.io import atomic_write_png, atomic_write_text
from ganseg_mm.utils.output_dir import OutputDir

from ganseg_mm.models.utils.ensemble_uncertainty import image_score, keep_mask

IMG_SUFFIX, SEG_SUFFIX = '_leftImg8bit.png', '_gtFine_labelTrainIds.png'
MANIFEST, PARAMS = 'manifest.json', 'params.json'


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


def output_dir(out_dir: str) -> OutputDir:
    return OutputDir(out_dir, MANIFEST, PARAMS)


def _final_dirs(out_dir: str, split: str, city: str):
    return (osp.join(out_dir, 'leftImg8bit', split, city),
            osp.join(out_dir, 'gtFine', split, city))


def claim_output(out_dir: str, params: dict) -> List[str]:
    """Record or check the parameters of ``out_dir`` (those of
    generate_dataset.py: num, seed, truncation, top_fraction, model
    fingerprints, split, city, drop). Only ``drop`` may differ from the
    recorded ones: a finished folder is then reopened (:func:`reopen`) and
    only the images the new selection keeps but the old one deleted are
    labelled again. Returns ``['drop']`` then, else ``[]``; other
    differences raise DataValidationError."""
    od = output_dir(out_dir)
    man = od.read_manifest()
    legacy = None
    if man is not None and not osp.isfile(od.params_path):  # made before params.json
        legacy = dict(num=man['num_generated'], split=man['split'], city=man['city'],
                      drop=man['drop_fraction'],
                      **{k: man[k] for k in ('seed', 'truncation', 'top_fraction') if k in man})

    def reselect(old):
        if od.finished:
            reopen(out_dir, params['drop'])
        else:  # an interrupted reopen for another drop: its image-less records are stale
            _forget_unlabelled(out_dir, params['split'], params['city'])

    return od.claim(params, reselect=('drop',), on_reselect=reselect,
                    has_work=lambda: od.finished or osp.isdir(osp.join(out_dir, '_work')),
                    recorded=legacy)


def _has_pngs(name: str, places) -> bool:
    """Whether the image and the label of ``name`` exist, each in one of
    ``places`` ((image dir, label dir) pairs)."""
    return (any(osp.isfile(osp.join(d, name + IMG_SUFFIX)) for d, _ in places)
            and any(osp.isfile(osp.join(d, name + SEG_SUFFIX)) for _, d in places))


def reopen(out_dir: str, drop_fraction: float) -> None:
    """Undo :func:`finalize` of a finished folder for a new ``drop_fraction``,
    keeping what was labelled: the manifest's records go back to ``_work/``
    for the images whose PNGs are still in the layout (:func:`finalize` finds
    them there) and for those the new selection drops anyway; the others
    (deleted before, kept now) are labelled again by :func:`label_images`.
    ``manifest.json`` is removed last, so a killed reopen is simply repeated.
    Call it under the folder's lock."""
    od = output_dir(out_dir)
    man = od.read_manifest()
    work = osp.join(out_dir, '_work')
    final = _final_dirs(out_dir, man['split'], man['city'])
    keep = keep_mask([r['score'] for r in man['images']], drop_fraction)
    for r, kept in zip(man['images'], keep):
        name = image_name(r['index'])
        rec = osp.join(work, name + '.json')
        if not kept or _has_pngs(name, [final]):
            if not osp.isfile(rec):
                atomic_write_text(rec, json.dumps({k: v for k, v in r.items() if k != 'kept'}))
        elif osp.isfile(rec):  # left by a killed reopen for another drop
            os.remove(rec)
    os.remove(od.manifest_path)


def _forget_unlabelled(out_dir: str, split: str, city: str) -> None:
    """Remove the records whose PNGs are nowhere (see :func:`reopen`)."""
    work = osp.join(out_dir, '_work')
    places = [(work, work), _final_dirs(out_dir, split, city)]
    for rec in sorted(glob.glob(osp.join(work, '*.json'))):
        if not _has_pngs(osp.basename(rec)[:-len('.json')], places):
            os.remove(rec)


def label_images(model, out_dir: str, num: int, seed: int, shard=(0, 1), batch_size=4,
                 truncation=0.7, top_fraction=0.1, progress=True) -> int:
    """Label this shard's images not yet done; returns how many were made.

    The batches are fixed (``batch_size`` consecutive images of the shard),
    and a batch with any image to do is computed whole (done images are not
    written again): batched kernels may round an image differently next to
    other images, and a resumed run must write the bytes of an uninterrupted
    one. Other ``shard``/``batch_size`` values give the same images up to
    such rounding.
    """
    if output_dir(out_dir).finished:
        return 0
    work = osp.join(out_dir, '_work')
    mine = list(range(shard[0], num, shard[1]))
    todo = {i for i in mine if not osp.isfile(osp.join(work, image_name(i) + '.json'))}
    batches = [b for b in (mine[s:s + batch_size] for s in range(0, len(mine), batch_size))
               if todo.intersection(b)]
    mean_w = mean_latent(model.generator) if truncation < 1 else None
    bar = ProgressBar(len(todo)) if progress and todo else None
    for idx in batches:
        w = sample_w(model.generator, [seed + i for i in idx], truncation, mean_w)
        imgs, labels, js = model.label_latents(w)
        for k, i in enumerate(idx):
            if i not in todo:
                continue
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
    """If all ``num`` images are labelled, filter and write the dataset, once
    (concurrent callers wait for the lock and get the same manifest); returns
    the manifest dict, or None when images are still missing. Every step can
    be killed and repeated: files move with ``os.replace``, ``manifest.json``
    is written last and ``_work/`` is removed after it."""
    work = osp.join(out_dir, '_work')
    img_dir, seg_dir = _final_dirs(out_dir, split, city)

    def build():
        recs = []
        for i in range(num):
            p = osp.join(work, image_name(i) + '.json')
            if not osp.isfile(p):
                return None
            with open(p) as f:
                recs.append(json.load(f))
        keep = keep_mask([r['score'] for r in recs], drop_fraction)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(seg_dir, exist_ok=True)
        for r, k in zip(recs, keep):
            r['kept'] = k
            name = image_name(r['index'])
            for suffix, d in ((IMG_SUFFIX, img_dir), (SEG_SUFFIX, seg_dir)):
                src, dst = osp.join(work, name + suffix), osp.join(d, name + suffix)
                if k and osp.isfile(src):
                    os.replace(src, dst)  # atomic; a rerun finds dst already there
                elif k and not osp.isfile(dst):
                    raise DataValidationError(
                        f'{dst}: missing (and not in {work}); delete {name}.json there '
                        'to label the image again')
                elif not k and osp.isfile(dst):
                    os.remove(dst)  # kept by an earlier selection (reopened folder)
        kept_scores = [r['score'] for r in recs if r['kept']]
        return dict(
            num_generated=num, num_kept=sum(keep), drop_fraction=drop_fraction,
            split=split, city=city,
            score_threshold=max(kept_scores) if kept_scores else None,
            images=recs, **(extra or {}))

    manifest, _ = output_dir(out_dir).finish(
        build, cleanup=lambda: shutil.rmtree(work, ignore_errors=True))
    if manifest is not None and manifest['drop_fraction'] != drop_fraction:
        raise DataValidationError(
            f"{out_dir}: finished by a concurrent run with drop {manifest['drop_fraction']}, "
            f'not {drop_fraction}; rerun to select again')
    return manifest
