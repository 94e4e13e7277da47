"""Data side of pix2pixHD training on any mmseg dataset (e.g. CityscapesDataset)."""
from __future__ import annotations

import os.path as osp

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.model import BaseDataPreprocessor

from mmagic.registry import MODELS
from mmagic.structures import DataSample
from mmseg.registry import TRANSFORMS

from ganseg_mm.datasets.errors import DataValidationError
from .condition import instance_boundary, make_condition

INSTANCE_SUFFIX = '_gtFine_instanceIds.png'


def instance_path(seg_map_path: str) -> str:
    """Cityscapes: ``*_gtFine_labelTrainIds.png`` -> ``*_gtFine_instanceIds.png``."""
    base = seg_map_path
    for suffix in ('_gtFine_labelTrainIds.png', '_gtFine_labelIds.png'):
        if base.endswith(suffix):
            return base[:-len(suffix)] + INSTANCE_SUFFIX
    return osp.splitext(base)[0] + '_instanceIds.png'


@TRANSFORMS.register_module()
class LoadInstanceBoundary(BaseTransform):
    """Adds ``inst_edge`` (uint8 HxW, also in ``seg_fields``) from the instanceIds PNG
    next to ``seg_map_path``; all zeros when that file does not exist.

    Args:
        required (bool): Raise when the instanceIds file is missing. Defaults to False.
    """

    def __init__(self, required: bool = False):
        self.required = required

    def transform(self, results: dict) -> dict:
        path = instance_path(results['seg_map_path'])
        seg = results['gt_seg_map']
        if osp.isfile(path):
            inst = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if inst is None:
                raise DataValidationError(f'{path}: not a readable PNG')
            if inst.shape[:2] != seg.shape[:2]:
                raise DataValidationError(f'{path}: size {inst.shape[:2]} differs from the '
                                          f'label map {seg.shape[:2]}')
            edge = instance_boundary(inst)
        elif self.required:
            raise DataValidationError(f'{path}: instanceIds file missing')
        else:
            edge = np.zeros(seg.shape[:2], np.uint8)
        results['inst_edge'] = edge
        results.setdefault('seg_fields', []).append('inst_edge')
        return results


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
        sample = DataSample(metainfo=dict(img_path=results.get('img_path'),
                                          seg_map_path=results.get('seg_map_path')))
        return dict(inputs=inputs, data_samples=sample)


@MODELS.register_module()
class Pix2PixHDDataPreprocessor(BaseDataPreprocessor):
    """Stacks a batch, scales images to [-1, 1] and builds the condition map.

    Output ``inputs``: ``img`` (N, 3, H, W) float and ``cond``
    (N, num_classes + 1 + use_instance, H, W).

    Args:
        num_classes (int): Number of trainId classes.
        use_instance (bool): Add the instance-boundary channel. Defaults to True.
        ignore_index (int): Label of unlabelled pixels. Defaults to 255.
    """

    def __init__(self, num_classes: int, use_instance: bool = True, ignore_index: int = 255):
        super().__init__()
        self.num_classes = num_classes
        self.use_instance = use_instance
        self.ignore_index = ignore_index

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, dict):
            inputs = [dict(zip(inputs, vals)) for vals in zip(*inputs.values())]
        label = torch.stack([x['label'][0] for x in inputs])
        edge = torch.stack([x['edge'][0] for x in inputs])
        samples = data.get('data_samples')
        src = (samples[0].metainfo.get('seg_map_path') if samples else None) or 'label map'
        cond = make_condition(label, edge, self.num_classes, self.ignore_index,
                              self.use_instance, source=str(src))
        out = dict(cond=cond, label=label)
        if 'img' in inputs[0]:
            out['img'] = torch.stack([x['img'] for x in inputs]).float() / 127.5 - 1.
        return dict(inputs=out, data_samples=samples)
