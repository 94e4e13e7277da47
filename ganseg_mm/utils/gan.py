"""The GAN side's shared API: checkpoints, loading a generator, label map ->
condition, images.

Used by GAN-augmentation synthesis (offline and online), its analysis, the
pix2pixHD data preprocessor and sample-grid hook, and DatasetGAN. Every tool
that reads a checkpoint (also ``tools/test.py`` and the segmenters of
:func:`load_segmenter`) reads it with :func:`read_checkpoint` and
checks it with :func:`check_state_dict`, so a missing, corrupt or foreign file
is one :class:`DataValidationError` naming it. mmagic is imported only inside
:func:`load_generator`, so importing this module costs nothing for users of
CEGU or UDA.
"""
from __future__ import annotations

import glob
import os.path as osp
import re
from typing import Mapping, Optional, Sequence

import numpy as np
import torch

from .errors import DataValidationError
from .labels import check_label_ids, read_instances, read_label


def read_checkpoint(path: str) -> dict:
    """The state dict of the checkpoint file ``path``, on the CPU.

    Read with mmengine's public :class:`~mmengine.runner.CheckpointLoader`;
    the state dict is the file's ``state_dict`` (a bare state dict is taken as
    is), with a leading ``module.`` stripped from its keys as mmengine's
    ``load_checkpoint`` does by default.

    Raises:
        DataValidationError: Naming ``path``: not found, unreadable (random
            bytes, truncated, not a torch file) or holding no state dict.
    """
    from mmengine.runner import CheckpointLoader
    if not osp.isfile(path):
        raise DataValidationError(f'{path}: checkpoint not found')
    try:
        ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except Exception as e:  # noqa: BLE001  (corrupt, truncated or not a torch file)
        raise DataValidationError(f'{path}: not a readable checkpoint '
                                  f'({type(e).__name__})') from None
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, Mapping) else None
    if not isinstance(state, Mapping) or not any(torch.is_tensor(v) for v in state.values()):
        raise DataValidationError(f'{path}: not a checkpoint (no state_dict of tensors)')
    return {re.sub(r'^module\.', '', k): v for k, v in state.items()}


def resolve_checkpoint(path: str) -> str:
    """A checkpoint file, or a work dir: its ``best_*.pth`` else ``last_checkpoint``
    (DataValidationError naming ``path`` when there is none)."""
    if osp.isdir(path):
        best = sorted(glob.glob(osp.join(path, 'best_*.pth')))
        if best:
            return best[-1]
        last = osp.join(path, 'last_checkpoint')
        if osp.isfile(last):
            with open(last) as f:
                return f.read().strip()
        raise DataValidationError(f'{path}: no best_*.pth or last_checkpoint in this work dir')
    if not osp.isfile(path):
        raise DataValidationError(f'{path}: checkpoint not found')
    return path


def load_segmenter(config: str, checkpoint: str, device: str = 'cpu'):
    """A trained mmseg segmenter ready for mmseg's ``inference_model``.

    ``checkpoint`` may be a work dir (:func:`resolve_checkpoint`); it is read
    with :func:`read_checkpoint` and checked against the model, so a missing,
    corrupt or foreign file is one DataValidationError naming it. A UDA
    checkpoint may carry its EMA teacher: extra keys are not an error (as in
    ``tools/test.py``). Inference has no ground truth, so the label loading and
    checking steps are dropped from the test pipeline (mmseg's and the
    project's checked ones, with or without a scope prefix).
    """
    import ganseg_mm  # noqa: F401  (registers the project's mmseg parts)
    from mmseg.apis import init_model
    checkpoint = resolve_checkpoint(checkpoint)
    state = read_checkpoint(checkpoint)
    if not osp.isfile(config):
        raise DataValidationError(f'{config}: segmenter config not found')
    model = init_model(config, None, device='cpu')
    load_state_dict_checked(model, state, checkpoint, f'the segmenter of {config}',
                            allow_unexpected=True)
    model.cfg.test_pipeline = [
        t for t in model.cfg.test_pipeline if t['type'].split('.')[-1] not in (
            'LoadAnnotations', 'CheckedLoadAnnotations', 'CheckSegMap')]
    return model.to(device).eval()


def _shape(v) -> Optional[tuple]:
    """A tensor's shape; a shape as is; None for anything else."""
    if hasattr(v, 'shape'):
        return tuple(v.shape)
    return tuple(v) if isinstance(v, (tuple, list)) else None


def check_state_dict(state: Mapping, expected: Mapping, path: str, what: str,
                     allow_unexpected: bool = False) -> None:
    """Check that the state dict ``state`` of checkpoint ``path`` fits a model
    whose state dict is ``expected`` (values: tensors or shapes).

    A checkpoint fits when it has every expected key (BN's
    ``num_batches_tracked`` aside, as mmengine) with the same shape and, unless
    ``allow_unexpected`` (e.g. a segmenter checkpoint carrying a UDA teacher),
    no other key.

    Raises:
        DataValidationError: ``<path>: does not fit <what>: ...`` with the
            number of missing, unexpected and reshaped keys and a few examples.
    """
    missing = [k for k in expected if k not in state and not k.endswith('num_batches_tracked')]
    unexpected = [] if allow_unexpected else [k for k in state if k not in expected]
    reshaped = [f'{k} {_shape(state[k])} vs {_shape(expected[k])}'
                for k in expected if k in state and _shape(state[k]) != _shape(expected[k])]
    parts = [f'{kind}: {len(keys)} (e.g. {", ".join(keys[:2])})' for kind, keys in (
        ('missing keys', missing), ('unexpected keys', unexpected),
        ('keys of another shape (file vs model)', reshaped)) if keys]
    if parts:
        raise DataValidationError(f'{path}: does not fit {what}: {"; ".join(parts)}'[:600])


def load_state_dict_checked(module: torch.nn.Module, state: Mapping, path: str, what: str,
                            allow_unexpected: bool = False) -> None:
    """:func:`check_state_dict` against ``module``, then load ``state`` into it."""
    check_state_dict(state, module.state_dict(), path, what, allow_unexpected)
    module.load_state_dict(state, strict=False)  # checked above, BN counters aside


def load_gan_config(config: str, cfg_options: Optional[dict] = None):
    """An mmagic GAN config read from ``config`` with ``cfg_options`` (the
    ``--cfg-options`` it was trained with) merged in.

    Raises:
        DataValidationError: the file is missing.
    """
    from mmengine.config import Config
    if not osp.isfile(config):
        raise DataValidationError(f'{config}: GAN config not found')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def load_generator(config: str, checkpoint: Optional[str], prefixes: Sequence[str] = (
        'generator.', ), device: str = 'cpu',
        cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build ``model.generator`` of an mmagic GAN config and load its weights.

    The project's networks are registered by the config's own
    ``custom_imports`` (``ganseg_mm.models.editors``), which ``Config.fromfile``
    imports. The generator is built in mmagic's scope through a scoped
    default-scope context (the process-wide default scope, e.g. mmseg's inside
    a dataloader worker, is left untouched) and the checkpoint is read with
    :func:`read_checkpoint`.

    Args:
        config (str): mmagic GAN config (pix2pixHD, StyleGAN2, ...).
        checkpoint (str, optional): Its checkpoint. None builds the generator
            with fresh weights (e.g. when a later checkpoint brings them).
        prefixes (Sequence[str]): State-dict prefixes tried in order; the first
            present is loaded (e.g. ``('generator_ema.module.', 'generator.')``).
            A ``module.`` right after the prefix is dropped: a GAN trained by
            ``tools/dist_train.sh`` (mmengine's
            ``MMSeparateDistributedDataParallel`` wraps the generator itself)
            saves ``generator.module.*``. Defaults to ``('generator.',)``.
        device (str): Device of the returned generator. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides the GAN was trained with,
            merged into ``config`` (see :func:`load_gan_config`).

    Returns:
        torch.nn.Module: The generator in eval mode with gradients off.

    Raises:
        DataValidationError: Missing config or checkpoint, a file that is not a
            checkpoint, no generator weights, or weights of another shape
            (class count, instance channel, widths).
    """
    from mmengine.registry import DefaultScope

    import mmagic.models  # noqa: F401  (registers mmagic's networks)
    from mmagic.registry import MODELS
    cfg = load_gan_config(config, cfg_options)
    with DefaultScope.overwrite_default_scope('mmagic'):
        gen = MODELS.build(cfg.model.generator)
    if checkpoint is not None:
        state = read_checkpoint(checkpoint)
        for p in prefixes:
            sub = {k[len(p):]: v for k, v in state.items() if k.startswith(p)}
            if sub:
                if all(k.startswith('module.') for k in sub):  # a DDP-wrapped generator
                    sub = {k[len('module.'):]: v for k, v in sub.items()}
                break
        else:
            raise DataValidationError(f'{checkpoint}: no generator weights (keys '
                                      f'{list(prefixes)}*) in this checkpoint')
        load_state_dict_checked(gen, sub, checkpoint, f'the generator of {config} (wrong '
                                'class count or wrong architecture)')
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
                   source: str | Sequence[str] = 'label map') -> torch.Tensor:
    """(N, H, W) trainIds [+ (N, H, W) edges] -> (N, C+1[+1], H, W) float condition.

    Ids in ``[0, num_classes)`` are one-hot; ``ignore_index`` lights the extra
    "ignore" channel (pix2pixHD's input: one-hot label + instance boundaries);
    any other id raises :class:`DataValidationError` naming the bad map's
    ``source``: one name for the whole batch, or one per map (the first bad
    map of the batch is named).
    """
    label = label.long()
    bad = ((label < 0) | (label >= num_classes)) & (label != ignore_index)
    if bool(bad.any()):  # one host sync; the bad map is searched only on failure
        names = [source] * len(label) if isinstance(source, str) else list(source)
        if len(names) != len(label):
            raise ValueError(f'make_condition: {len(names)} sources for {len(label)} maps')
        i = int(bad.flatten(1).any(1).nonzero()[0])
        check_label_ids(label[i][bad[i]].unique().cpu().numpy(), num_classes, ignore_index,
                        names[i])
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
