"""CutMix between the unlabeled images of a batch, UniMatch style.

UniMatch (Yang et al., CVPR 2023; LiheYoung/UniMatch) pastes a random box of
another unlabeled image's strong view into each strong view with probability
0.5 (box area 2-40 % of the image, aspect ratio 0.3-3.3), and the consistency
target inside the box is the teacher's prediction for that other image. Here
the other image is the next one in the batch (a cyclic shift), so no second
unlabeled batch is drawn.
"""
from __future__ import annotations

import math
from typing import Optional

import torch


def cutmix_boxes(n: int, h: int, w: int, prob: float = 0.5,
                 area: tuple = (0.02, 0.4), ratio: tuple = (0.3, 1 / 0.3),
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``(n, h, w)`` bool masks, each a random box with probability ``prob``
    (else empty): area a share of ``h * w`` drawn from ``area``, aspect ratio
    (width / height) from ``ratio``, placed uniformly where it fits."""
    boxes = torch.zeros(n, h, w, dtype=torch.bool)
    for i in range(n):
        u = torch.rand(5, generator=generator).tolist()
        if u[0] >= prob:
            continue
        size = (area[0] + u[1] * (area[1] - area[0])) * h * w
        aspect = ratio[0] + u[2] * (ratio[1] - ratio[0])
        bh = min(h, max(1, round(math.sqrt(size / aspect))))
        bw = min(w, max(1, round(math.sqrt(size * aspect))))
        top, left = int(u[3] * (h - bh + 1)), int(u[4] * (w - bw + 1))
        boxes[i, top:top + bh, left:left + bw] = True
    return boxes


def cutmix(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """``x`` (``(N, ...)`` with the boxes' ``(N, H, W)`` as its last two
    dims) with sample ``i``'s box filled from sample ``i + 1`` (cyclically)."""
    boxes = boxes.to(x.device)
    if x.dim() == 4:
        boxes = boxes[:, None]
    return torch.where(boxes, x.roll(-1, dims=0), x)
