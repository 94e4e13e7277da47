"""The GAN side's shared API: loading a generator, label map -> condition, images.

Used by GAN-augmentation synthesis (offline and online), its analysis, the
pix2pixHD data preprocessor and sample-grid hook, and DatasetGAN. mmagic is
imported only inside :func:`load_generator`, so importing this module costs
nothing for users of CEGU or UDA.
"""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch

from .errors import DataValidationError
from .labels import check_label_ids, read_instances, read_label


def load_generator(config: str, checkpoint: Optional[str], prefixes: Sequence[str] = (
        'generator.', ), device: str = 'cpu') -> torch.nn.Module:
    """Build ``model.generator`` of an mmagic GAN config and load its weights.

    The project's networks are registered by the config's own
    ``custom_imports`` (``ganseg_mm.models.editors``), which ``Config.fromfile``
    imports. The generator is built in mmagic's scope through a scoped
    default-scope context (the process-wide default scope, e.g. mmseg's inside
    a dataloader worker, is left untouched) and the checkpoint is read with
    mmengine's public :class:`~mmengine.runner.CheckpointLoader`.

    Args:
        config (str): mmagic GAN config (pix2pixHD, StyleGAN2, ...).
        checkpoint (str, optional): Its checkpoint. None builds the generator
            with fresh weights (e.g. when a later checkpoint brings them).
        prefixes (Sequence[str]): State-dict prefixes tried in order; the first
            present is loaded (e.g. ``('generator_ema.module.', 'generator.')``).
            Defaults to ``('generator.',)``.
        device (str): Device of the returned generator. Defaults to 'cpu'.

    Returns:
        torch.nn.Module: The generator in eval mode with gradients off.

    Raises:
        DataValidationError: Missing config or checkpoint, a file that is not a
            checkpoint, no generator weights, or weights of another shape
            (class count, instance channel, widths).
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import CheckpointLoader

    import mmagic.models  # noqa: F401  (registers mmagic's networks)
    from mmagic.registry import MODELS
    if not osp.isfile(config):
        raise DataValidationError(f'{config}: GAN config not found')
    with DefaultScope.overwrite_default_scope('mmagic'):
        gen = MODELS.build(Config.fromfile(config).model.generator)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise DataValidationError(f'{checkpoint}: checkpoint not found')
        try:
            ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        except Exception as e:  # noqa: BLE001  (corrupt or not a torch file)
            raise DataValidationError(f'{checkpoint}: not a readable checkpoint '
                                      f'({type(e).__name__})') from None
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
        for p in prefixes:
            sub = {k[len(p):]: v for k, v in state.items() if k.startswith(p)}
            if sub:
                break
        else:
            raise DataValidationError(f'{checkpoint}: no generator weights (keys '
                                      f'{list(prefixes)}*) in this checkpoint')
        try:
            gen.load_state_dict(sub, strict=True)
        except RuntimeError as e:
            detail = ' '.join(str(e).split())[:300]
            raise DataValidationError(f'{checkpoint}: does not fit the generator of '
                                      f'{config} (wrong class count or wrong architecture: '
                                      f'{detail})') from None
    return gen.to(device).eval().requires_grad_(False)


def instance_boundary(inst: np.ndarray) -> np.ndarray:
    """pix2pixHD's edge map: 1 where a 4-neighbour has another instance id."""
    edge = np.zeros(inst.shape, np.uint8)
    dx = inst[:, 1:] != inst[:, :-1]
    dy = inst[1:, :] != inst[:-1, :]
    edge[:, 1:] |= dx
    edge[:, :-1] |= dx
    edge[1:, :] |= dy
    edge[:-1, :] |= dy
    return edge


def make_condition(label: torch.Tensor, edge: Optional[torch.Tensor], num_classes: int,
                   ignore_index: int = 255, use_instance: bool = True,
                   source: str = 'label map') -> torch.Tensor:
    """(N, H, W) trainIds [+ (N, H, W) edges] -> (N, C+1[+1], H, W) float condition.

    Ids in ``[0, num_classes)`` are one-hot; ``ignore_index`` lights the extra
    "ignore" channel (pix2pixHD's input: one-hot label + instance boundaries);
    any other id raises :class:`DataValidationError` naming ``source``.
    """
    label = label.long()
    bad = ((label < 0) | (label >= num_classes)) & (label != ignore_index)
    if bool(bad.any()):  # one host sync; the ids are gathered only for the message
        check_label_ids(label[bad].unique().cpu().numpy(), num_classes, ignore_index, source)
    idx = torch.where(label == ignore_index, torch.full_like(label, num_classes), label)
    n, h, w = label.shape
    # written in place (no int64 one-hot, permute copy or concatenation)
    cond = torch.zeros((n, num_classes + 1 + int(use_instance), h, w), device=label.device)
    cond.scatter_(1, idx.unsqueeze(1), 1.0)
    if use_instance and edge is not None:
        cond[:, num_classes + 1] = edge.to(cond.device)
    return cond


def read_condition_inputs(seg_map_path: str, num_classes: int,
                          ignore_index: int = 255) -> tuple:
    """(label, edge) uint8 maps of one label file: the trainIds, checked, and
    the instance boundaries of its instance map (zeros where it has none)."""
    lab = read_label(seg_map_path, num_classes, ignore_index)
    inst = read_instances(seg_map_path, lab.shape)
    edge = instance_boundary(inst) if inst is not None else np.zeros_like(lab)
    return lab, edge


def to_uint8(img: torch.Tensor) -> np.ndarray:
    """Generator output in [-1, 1], ``(N, 3, H, W)`` or ``(3, H, W)`` -> uint8
    ``(N, H, W, 3)`` / ``(H, W, 3)`` numpy, channels kept in the generator's
    order: RGB for pix2pixHD (its packing transform converts), BGR for a
    StyleGAN2 trained by mmagic's pipeline (loaded BGR, never converted)."""
    img = ((img.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return img.movedim(-3, -1).cpu().numpy()
