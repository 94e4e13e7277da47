"""Packing transform of pix2pixHD training (registered in mmseg's TRANSFORMS)."""
from __future__ import annotations

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ganseg_mm.utils.errors import DataValidationError


@TRANSFORMS.register_module()
class PackLabelImagePair(BaseTransform):
    """Packs (image, trainId map, instance edges) for :class:`Pix2PixHD`:
    ``inputs = dict(img=uint8 3xHxW RGB, label=1xHxW, edge=1xHxW)``. Size
    mismatch between image and label raises :class:`DataValidationError`."""

    def transform(self, results: dict) -> dict:
        img, seg = results['img'], results['gt_seg_map']
        if img.shape[:2] != seg.shape[:2]:
            raise DataValidationError(f'{results.get("img_path")}: image size {img.shape[:2]}'
                                      f' differs from label size {seg.shape[:2]}')
        rgb = np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1))
        edge = results.get('inst_edge', np.zeros(seg.shape[:2], np.uint8))
        inputs = dict(img=torch.from_numpy(rgb),
                      label=torch.from_numpy(seg.astype(np.int64))[None],
                      edge=torch.from_numpy(np.ascontiguousarray(edge))[None])
        from mmagic.structures import DataSample  # mmagic only for pix2pixHD's users
        sample = DataSample(metainfo=dict(img_path=results.get('img_path'),
                                          seg_map_path=results.get('seg_map_path')))
        return dict(inputs=inputs, data_samples=sample)
