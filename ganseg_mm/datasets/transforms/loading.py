"""Loading transforms of GAN augmentation: pix2pixHD's instance boundaries and
images rendered on the fly from label maps (registered in mmseg's TRANSFORMS)."""
from __future__ import annotations

import os

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.gan import instance_boundary, make_condition, read_condition_inputs, to_uint8
from ganseg_mm.utils.labels import instance_path, read_instances


@TRANSFORMS.register_module()
class LoadInstanceBoundary(BaseTransform):
    """Adds ``inst_edge`` (uint8 HxW, also in ``seg_fields``): pix2pixHD's
    instance boundaries from the instance map next to ``seg_map_path`` (see
    :func:`ganseg_mm.utils.labels.instance_path`); all zeros where there is none.

    Args:
        required (bool): Raise when the instanceIds file is missing. Defaults to False.
    """

    def __init__(self, required: bool = False):
        self.required = required

    def transform(self, results: dict) -> dict:
        seg = results['gt_seg_map']
        inst = read_instances(results['seg_map_path'], seg.shape)
        if inst is not None:
            edge = instance_boundary(inst)
        elif self.required:
            path = instance_path(results['seg_map_path'])
            raise DataValidationError(f'{path}: instance map missing')
        else:
            edge = np.zeros(seg.shape[:2], np.uint8)
        results['inst_edge'] = edge
        results.setdefault('seg_fields', []).append('inst_edge')
        return results


@TRANSFORMS.register_module()
class RenderImageFromLabel(BaseTransform):
    """Replaces ``LoadImageFromFile``: renders ``img`` from the label map at
    ``seg_map_path`` (and its instanceIds) with a pix2pixHD generator.

    The generator is loaded lazily once per process (each dataloader worker has
    its own), in eval mode. Used by ``GANAugmentedDataset(online=...)``.

    Args:
        config (str): pix2pixHD config (``configs/ganaug/pix2pixhd_*.py``).
        checkpoint (str): Its checkpoint.
        device (str): Device of the generator. Defaults to 'cpu'.
    """

    def __init__(self, config: str, checkpoint: str, device: str = 'cpu'):
        self.config, self.checkpoint, self.device = config, checkpoint, device
        self._gen = None
        self._pid = None

    def _generator(self):
        if self._gen is None or self._pid != os.getpid():
            # the offline pipeline's loader; imported here because it imports mmagic
            from ganseg_mm.ganaug.renderer import load_pix2pixhd
            self._gen = load_pix2pixhd(self.config, self.checkpoint, self.device)
            self._pid = os.getpid()
        return self._gen

    def transform(self, results: dict) -> dict:
        gen, info = self._generator()
        path = results['seg_map_path']
        lab, edge = read_condition_inputs(path, info['num_classes'], info['ignore_index'])
        cond = make_condition(torch.from_numpy(lab)[None], torch.from_numpy(edge)[None],
                              info['num_classes'], info['ignore_index'], info['use_instance'],
                              source=path).to(self.device)
        with torch.no_grad():
            img = to_uint8(gen(cond)[0])[..., ::-1]  # pix2pixHD renders RGB; mmseg wants BGR
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results
