"""The generator's input: one-hot trainIds + ignore channel + instance boundaries."""
from __future__ import annotations

import numpy as np
import torch

from ganseg_mm.datasets.errors import DataValidationError


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


def make_condition(label: torch.Tensor, edge: torch.Tensor | None, num_classes: int,
                   ignore_index: int = 255, use_instance: bool = True,
                   source: str = 'label map') -> torch.Tensor:
    """(N, H, W) trainIds [+ (N, H, W) edges] -> (N, C+1[+1], H, W) float condition.

    Ids in ``[0, num_classes)`` are one-hot; ``ignore_index`` lights the extra
    "ignore" channel; any other id raises :class:`DataValidationError`.
    """
    label = label.long()
    bad = (label >= num_classes) & (label != ignore_index) | (label < 0)
    if bool(bad.any()):
        vals = sorted(set(label[bad].unique().tolist()))[:5]
        raise DataValidationError(f'{source}: label ids {vals} outside [0, {num_classes}) '
                                  f'and not ignore ({ignore_index})')
    idx = torch.where(label == ignore_index, torch.full_like(label, num_classes), label)
    n, h, w = label.shape
    # written in place (no int64 one-hot, permute copy or concatenation)
    cond = torch.zeros((n, num_classes + 1 + int(use_instance), h, w), device=label.device)
    cond.scatter_(1, idx.unsqueeze(1), 1.0)
    if use_instance and edge is not None:
        cond[:, num_classes + 1] = edge.to(cond.device)
    return cond
