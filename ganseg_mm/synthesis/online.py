"""On-the-fly synthesis: a transform that renders the image of a composed label map."""
from __future__ import annotations

import os

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .label_io import read_instances, read_label


@TRANSFORMS.register_module()
class RenderImageFromLabel(BaseTransform):
    """Replaces ``LoadImageFromFile``: renders ``img`` from the label map at
    ``seg_map_path`` (and its instanceIds) with a pix2pixHD generator.

    The generator is loaded lazily once per process (each dataloader worker has
    its own), in eval mode. Used by ``GANAugmentedDataset(online=...)``.

    Args:
        config (str): pix2pixHD config (``configs/gan/...``).
        checkpoint (str): Its checkpoint.
        device (str): Device of the generator. Defaults to 'cpu'.
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu'):
        self.config, self.checkpoint, self.device = config, checkpoint, device
        self._gen = None
        self._pid = None

    def _generator(self):
        if self._gen is None or self._pid != os.getpid():
            from .renderer import load_generator
            self._gen = load_generator(self.config, self.checkpoint, self.device)
            self._pid = os.getpid()
        return self._gen

    def transform(self, results: dict) -> dict:
        from ganseg_mm.models.editors.pix2pixhd.condition import instance_boundary, make_condition
        gen, info = self._generator()
        path = results['seg_map_path']
        lab = read_label(path, info['num_classes'], info['ignore_index'])
        inst = read_instances(path, lab.shape)
        edge = instance_boundary(inst) if inst is not None else np.zeros_like(lab)
        cond = make_condition(torch.from_numpy(lab)[None], torch.from_numpy(edge)[None],
                              info['num_classes'], info['ignore_index'], info['use_instance'],
                              source=path).to(self.device)
        with torch.no_grad():
            out = gen(cond)[0].permute(1, 2, 0).float().cpu().numpy()
        img = ((out + 1) * 127.5).round().clip(0, 255).astype(np.uint8)[..., ::-1]  # BGR
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results
