"""Ensemble agreement: majority vote, Jensen-Shannon uncertainty, image score.

Follows nv-tlabs/datasetGAN_release: per-pixel JS = H(mean_k p_k) - mean_k H(p_k)
over the ensemble members' softmax outputs; an image's score is the mean of its
top 10% pixel JS values; the most uncertain images are dropped.
"""
import math

import torch


def _check_probs(probs: torch.Tensor) -> None:
    if probs.dim() != 3:
        raise ValueError(f'probs must be (members, pixels, classes), got {tuple(probs.shape)}')


def entropy(p: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Shannon entropy in nats, ``0 log 0 = 0``."""
    return -(p * torch.log(p.clamp_min(1e-12))).sum(dim)


def js_uncertainty(probs: torch.Tensor) -> torch.Tensor:
    """Per-pixel generalized JS divergence ``(N,)`` of ``probs`` ``(K, N, C)``;
    0 when all members agree, at most ``log(K)``."""
    _check_probs(probs)
    return (entropy(probs.mean(0)) - entropy(probs).mean(0)).clamp_min(0)


def majority_vote(probs: torch.Tensor) -> torch.Tensor:
    """Per-pixel label ``(N,)`` most members predict; ties go to the lower id."""
    _check_probs(probs)
    votes = torch.nn.functional.one_hot(probs.argmax(-1), probs.shape[-1]).sum(0)
    return votes.argmax(-1)


def image_score(js: torch.Tensor, top_fraction: float = 0.1) -> float:
    """Mean of the top ``top_fraction`` of an image's pixel JS values."""
    if not 0 < top_fraction <= 1:
        raise ValueError(f'top_fraction must be in (0, 1], got {top_fraction}')
    flat = js.flatten()
    k = max(1, math.ceil(top_fraction * flat.numel()))
    return float(flat.topk(k).values.mean())


def keep_mask(scores, drop_fraction: float):
    """Which images to keep: the ``drop_fraction`` most uncertain are dropped
    (ties broken by index, so the result is deterministic)."""
    if not 0 <= drop_fraction < 1:
        raise ValueError(f'drop_fraction must be in [0, 1), got {drop_fraction}')
    n = len(scores)
    n_drop = int(math.floor(drop_fraction * n))
    order = sorted(range(n), key=lambda i: (-scores[i], i))
    dropped = set(order[:n_drop])
    return [i not in dropped for i in range(n)]
