"""Loading transforms (registered in mmseg's TRANSFORMS): mmcv's image and
mmseg's label loaders that name the file they cannot read; for GAN
augmentation, pix2pixHD's instance boundaries and images rendered on the fly
from label maps."""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import TRANSFORMS

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.gan import instance_boundary, make_condition, read_condition_inputs, to_uint8
from ganseg_mm.utils.labels import instance_path, read_instances

# pipeline ``type`` names (scope prefix dropped) of the steps that load images
# and label maps: what wrappers replace or drop
IMAGE_LOADERS = ('LoadImageFromFile', 'CheckedLoadImageFromFile')
LABEL_LOADERS = ('LoadAnnotations', 'CheckedLoadAnnotations', 'LoadBiomedicalAnnotation',
                 'LoadDepthAnnotation')


def step_name(step: dict) -> str:
    """A pipeline step's transform name without its registry scope."""
    return str(step.get('type')).split('.')[-1]


class _NamesUnreadableFile:
    """Turns a failure to read or decode the file at ``results[path_key]`` into
    a :class:`DataValidationError` naming it. mmseg's label loader reports a
    truncated PNG as PIL's bare "image file is truncated", and mmcv's image
    loader as an assertion, both as a traceback out of a dataloader worker."""

    path_key = ''

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return super().transform(results)
        except DataValidationError:
            raise
        # PIL: OSError (truncated, unidentified), SyntaxError (broken chunks);
        # mmcv: AssertionError (cv2 decoded nothing); numpy: ValueError
        except (OSError, SyntaxError, AssertionError, ValueError) as e:
            path = results.get(self.path_key, '<unknown file>')
            detail = str(e).splitlines()[0] if str(e) else ''
            if path in detail or '<_io.' in detail:  # PIL read from bytes: no name
                detail = ''
            why = 'missing' if isinstance(e, FileNotFoundError) else \
                f'cannot decode it ({type(e).__name__}{": " * bool(detail)}{detail})'
            raise DataValidationError(f'{path}: {why}') from None


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(_NamesUnreadableFile, LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments) whose read errors name the
    image file (:class:`DataValidationError`: one line, exit 2 in the tools)."""

    path_key = 'img_path'


@TRANSFORMS.register_module()
class CheckedLoadAnnotations(_NamesUnreadableFile, LoadAnnotations):
    """mmseg's ``LoadAnnotations`` (same arguments) whose read errors name the
    label file; put :class:`CheckSegMap` after it for ids and sizes."""

    path_key = 'seg_map_path'


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


def _check_cuda_start_method(device: str) -> None:
    """CUDA cannot start in a forked dataloader worker (mmseg's configs fork):
    say how to render on a GPU instead of torch's error deep in a worker."""
    import multiprocessing as mp
    if (str(device).startswith('cuda') and torch.utils.data.get_worker_info() is not None
            and mp.get_start_method(allow_none=True) in (None, 'fork')):
        raise DataValidationError(
            f"online rendering on {device} in a forked dataloader worker: CUDA cannot start "
            "there; set env_cfg.mp_cfg.mp_start_method='spawn' (or "
            "train_dataloader.num_workers=0 to render in the main process)")


@TRANSFORMS.register_module()
class RenderImageFromLabel(BaseTransform):
    """Replaces ``LoadImageFromFile``: renders ``img`` from the label map at
    ``seg_map_path`` (and its instanceIds) with a pix2pixHD generator.

    The generator is loaded lazily once per process (each dataloader worker has
    its own), in eval mode. Used by ``GANAugmentedDataset(online=...)``. On a
    GPU (``device='cuda'``) the workers must be started with spawn
    (``env_cfg.mp_cfg.mp_start_method='spawn'``) or rendering must run in the
    main process (``num_workers=0``); in a forked worker it stops with an
    error saying so.

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
            _check_cuda_start_method(self.device)
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
