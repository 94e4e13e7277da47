"""Write the procedural demo scenes to disk in the Cityscapes layout.

Layout (identical to Cityscapes, so mmseg's ``CityscapesDataset`` reads it)::

    ROOT/leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    ROOT/gtFine/{train,val}/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png
                                                      _gtFine_labelIds.png
                                                      _gtFine_instanceIds.png
    ROOT/demo_manifest.json   (parameters; per split and trainId: pixel count
                               and number of images containing the class)
"""
from __future__ import annotations

import json
import os
import os.path as osp

import numpy as np

from ganseg_mm.utils.io import atomic_write_png, atomic_write_text
from .scenes import render_scene

CITIES = {'train': ('aachen', 'bochum', 'bremen'), 'val': ('frankfurt', )}
SPLIT_SEED = {'train': 0, 'val': 1}


def demo_file_stem(split: str, index: int) -> str:
    cities = CITIES[split]
    city = cities[index % len(cities)]
    return osp.join(city, f'{city}_{index // len(cities):06d}_000019')


def generate_demo_cityscapes(root: str, num_train: int = 300, num_val: int = 100,
                             height: int = 128, width: int = 256, seed: int = 0,
                             progress: bool = False) -> dict:
    """Generate (or complete) the demo dataset under ``root``.

    Deterministic: the same arguments give byte-identical files. Files are
    written atomically and existing ones are kept, so an interrupted run is
    finished by running again. A ``root`` generated with other parameters is
    refused rather than mixed.

    Returns:
        dict: The manifest (parameters and per-split class pixel counts).
    """
    params = dict(num_train=num_train, num_val=num_val, height=height,
                  width=width, seed=seed, version=2)
    manifest_path = osp.join(root, 'demo_manifest.json')
    if osp.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
        if old.get('params') != params:
            raise ValueError(
                f'{root} already holds demo data generated with {old.get("params")}, '
                f'not {params}; choose another directory or delete it')
        return old
    counts, images = {}, {}
    todo = [(s, i) for s, n in (('train', num_train), ('val', num_val)) for i in range(n)]
    if progress:
        from tqdm import tqdm
        todo = tqdm(todo, desc='demo data', unit='img')
    for split, i in todo:
        stem = demo_file_stem(split, i)
        img_path = osp.join(root, 'leftImg8bit', split, stem + '_leftImg8bit.png')
        gt = osp.join(root, 'gtFine', split, stem + '_gtFine_')
        paths = [gt + 'labelIds.png', gt + 'instanceIds.png',
                 gt + 'labelTrainIds.png', img_path]
        scene = render_scene([seed, SPLIT_SEED[split], i], height, width)
        c = counts.setdefault(split, np.zeros(256, np.int64))
        n = images.setdefault(split, np.zeros(256, np.int64))
        b = np.bincount(scene['label_train_ids'].ravel(), minlength=256)
        c += b
        n += b > 0
        if all(osp.exists(p) for p in paths):
            continue
        os.makedirs(osp.dirname(img_path), exist_ok=True)
        os.makedirs(osp.dirname(gt), exist_ok=True)
        atomic_write_png(paths[0], scene['label_ids'])
        atomic_write_png(paths[1], scene['instance_ids'].astype(np.uint16))
        atomic_write_png(paths[2], scene['label_train_ids'])
        # the image last: a stem with an image is a complete sample
        atomic_write_png(paths[3], scene['img'][..., ::-1])

    def as_dict(per_split):
        return {s: {str(k): int(v) for k, v in enumerate(c) if v}
                for s, c in per_split.items()}

    manifest = dict(params=params, class_pixels=as_dict(counts),
                    class_images=as_dict(images))
    atomic_write_text(manifest_path, json.dumps(manifest, indent=1))
    return manifest
