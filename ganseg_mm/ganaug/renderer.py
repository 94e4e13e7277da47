"""Rendering composed label maps with a trained pix2pixHD generator (the
"synthesis" step of Zhang, "Pixel Level Data Augmentation with GANs").

Reading, composition of the condition and PNG writing run in background threads
so that they overlap with the generator's forward passes. Every file is written
atomically; a rerun renders only the images that are missing; ``shard=(i, n)``
renders every n-th map starting at i (one process per GPU, or torchrun). The
fingerprint (generator, config, composition, split) is recorded in
``synthesize_params.json`` and a rerun with another is refused once an image
exists; ``manifest.json`` is written once, under a lock, by whichever shard
finds the set complete (:class:`~ganseg_mm.utils.output_dir.OutputDir`).
"""
from __future__ import annotations

import glob
import json
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Tuple

import cv2
import numpy as np
import torch

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.gan import (load_gan_config, load_generator, make_condition,
                                 read_condition_inputs, to_uint8)
from ganseg_mm.utils.io import atomic_write_png
from ganseg_mm.utils.output_dir import OutputDir
from .compose_set import COMPOSE_MANIFEST, IMG_SUFFIX, LABEL_SUFFIX, image_dir, label_dir

MANIFEST = 'manifest.json'
PARAMS = 'synthesize_params.json'


def load_pix2pixhd(config: str, checkpoint: str, device: str = 'cpu',
                   cfg_options: Optional[dict] = None) -> Tuple[torch.nn.Module, dict]:
    """The trained pix2pixHD generator of ``config`` (with the ``cfg_options``
    it was trained with) and what its input needs.

    Returns (generator in eval mode, dict(num_classes, use_instance,
    ignore_index)). Bad checkpoints raise DataValidationError (see
    :func:`ganseg_mm.utils.gan.load_generator`).
    """
    gen = load_generator(config, checkpoint, device=device, cfg_options=cfg_options)
    pre = load_gan_config(config, cfg_options).model.data_preprocessor
    return gen, dict(num_classes=gen.num_classes, use_instance=gen.use_instance,
                     ignore_index=pre.get('ignore_index', 255))


def _names(root: str, split: str) -> List[str]:
    files = sorted(glob.glob(osp.join(label_dir(root, split), '*' + LABEL_SUFFIX)))
    return [osp.basename(f)[:-len(LABEL_SUFFIX)] for f in files]


def image_path(root: str, split: str, name: str) -> str:
    return osp.join(image_dir(root, split), name + IMG_SUFFIX)


def output_dir(root: str) -> OutputDir:
    return OutputDir(root, MANIFEST, PARAMS)


def claim_root(root: str, fingerprint: dict, split: str) -> None:
    """Record the fingerprint, or refuse one that differs from the recorded
    (DataValidationError naming the differing key) once an image exists."""
    od = output_dir(root)
    man = od.read_manifest()  # a set rendered before synthesize_params.json existed
    recorded = dict(man['fingerprint'], split=man['split']) if man else None
    od.claim(dict(fingerprint, split=split), recorded=recorded,
             has_work=lambda: bool(glob.glob(image_path(root, split, '*'))))


def render_set(root: str, gen: torch.nn.Module, info: dict, fingerprint: dict,
               split: str = 'train', batch_size: int = 8, shard=(0, 1),
               device: str = 'cpu', progress: bool = True) -> dict:
    """Render every composed map of ``root`` lacking an image (this shard's share).

    Each map is rendered at its own size, which is the generator's training
    size when the set was composed with ``size`` (:func:`.compose_set.compose_set`).

    Returns dict(rendered, skipped, total, manifest) where ``manifest`` is the
    path of ``manifest.json`` once every image of the set exists (else None).
    """
    names = _names(root, split)
    if not names:
        raise DataValidationError(f'{root}: no composed label maps under '
                                  f'{osp.relpath(label_dir(root, split), root)}')
    claim_root(root, fingerprint, split)
    mine = names[shard[0]::shard[1]]
    todo = [n for n in mine if not osp.isfile(image_path(root, split, n))]
    # fixed batches, rendered whole if any image is missing (the others are not
    # written again): a resumed run renders each image next to the same images
    # as an uninterrupted one, so batched kernels round it the same way
    missing = set(todo)
    batches = [b for b in (mine[i:i + batch_size] for i in range(0, len(mine), batch_size))
               if missing.intersection(b)]

    def load(name):
        lp = osp.join(label_dir(root, split), name + LABEL_SUFFIX)
        lab, edge = read_condition_inputs(lp, info['num_classes'], info['ignore_index'])
        return name, lp, lab, edge

    def load_batch(batch):
        """Read a batch and build its condition tensors (same-size groups), off
        the main thread so that it overlaps with the previous forward pass."""
        items = [load(n) for n in batch]
        groups = []
        for shape in dict.fromkeys(it[2].shape for it in items):
            grp = [it for it in items if it[2].shape == shape]
            lab = torch.from_numpy(np.stack([it[2] for it in grp]))
            edge = torch.from_numpy(np.stack([it[3] for it in grp]))
            groups.append((grp, make_condition(lab, edge, info['num_classes'],
                                               info['ignore_index'], info['use_instance'],
                                               source=[it[1] for it in grp])))
        return groups

    def write(name, shape, out):
        """Generator output (3, H, W) in [-1, 1] -> uint8 PNG, off the main thread."""
        img = to_uint8(out)
        if img.shape[:2] != shape:  # a generator that does not keep the size
            raise DataValidationError(f'{name}: the generator rendered {img.shape[:2]} from '
                                      f'a {shape} label map; compose at a size it keeps '
                                      '(tools/ganaug/compose_labels.py --size)')
        atomic_write_png(image_path(root, split, name), img[..., ::-1])

    from mmengine.utils import ProgressBar
    bar = ProgressBar(len(todo)) if progress and todo else None
    with ThreadPoolExecutor(2) as readers, ThreadPoolExecutor(2) as writers:
        pending = [readers.submit(load_batch, b) for b in batches[:2]]
        writes = []
        for bi in range(len(batches)):
            groups = pending[bi].result()
            if bi + 2 < len(batches):
                pending.append(readers.submit(load_batch, batches[bi + 2]))
            n_items = 0
            for grp, cond in groups:
                with torch.no_grad():
                    out = gen(cond.to(device, non_blocking=True)).float().cpu()
                for it, img in zip(grp, out):
                    if it[0] in missing:
                        n_items += 1
                        writes.append(writers.submit(write, it[0], it[2].shape, img))
            if bar:
                for _ in range(n_items):
                    bar.update()
        for w in writes:
            w.result()
    if bar:
        print()

    def build():
        if not all(osp.isfile(image_path(root, split, n)) for n in names):
            return None  # other shards still rendering
        return manifest_dict(root, split, names, fingerprint)

    done = output_dir(root).finish(build)[0] is not None
    return dict(rendered=len(todo), skipped=len(mine) - len(todo), total=len(names),
                manifest=output_dir(root).manifest_path if done else None)


def manifest_dict(root: str, split: str, names: List[str], fingerprint: dict) -> dict:
    """``manifest.json``: per image its class pixel counts, base map, seed, pastes."""
    comp = {}
    cpath = osp.join(root, COMPOSE_MANIFEST)
    if osp.isfile(cpath):
        with open(cpath) as f:
            cm = json.load(f)
        comp = {m['name']: m for m in cm['maps']}
    images = []
    for n in names:
        m = comp.get(n)
        if m is None:
            lab = cv2.imread(osp.join(label_dir(root, split), n + LABEL_SUFFIX),
                             cv2.IMREAD_UNCHANGED)
            counts = np.bincount(lab.ravel(), minlength=256)
            m = dict(name=n, class_pixels={str(c): int(k) for c, k in enumerate(counts) if k})
        images.append(dict(name=n, img=osp.relpath(image_path(root, split, n), root),
                           class_pixels=m['class_pixels'], base=m.get('base'),
                           seed=m.get('seed'), pastes=len(m.get('pastes', []))))
    return dict(fingerprint=fingerprint, split=split, images=images)
