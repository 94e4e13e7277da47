"""UDA's objective: consistency on unlabeled pixels, TSA on labeled ones.

Consistency, per unlabeled pixel ``i`` (Xie et al., UDA; google-research/uda):

1. the teacher's logits ``t_i`` on the weak view (no gradient) give the target
   ``q_i = softmax(t_i / temperature)`` (``temperature < 1`` sharpens);
2. the pixel counts only where the teacher is confident:
   ``m_i = [max softmax(t_i) > threshold]`` and the pixel is neither
   padding nor erased in the strong view (a cutout box);
3. ``kl_i = KL(q_i || softmax(s_i))`` with ``s_i`` the student's logits on the
   strong view (the gradient flows through ``s`` only);
4. ``loss = sum(m_i * kl_i) / N`` with ``N`` all valid pixels (UDA's mean over
   the batch, masked pixels count as 0) or, with ``reduction='masked_mean'``,
   ``N = sum(m_i)``.

Training signal annealing (TSA): at training progress ``p = iter / max_iters``,
``alpha = p`` (``'linear'``), ``1 - exp(-5 p)`` (``'log'``) or ``exp(5 (p - 1))``
(``'exp'``), and the threshold is ``eta = alpha (1 - 1/K) + 1/K`` for ``K``
classes. Labeled pixels whose predicted probability of the true class is above
``eta`` are left out of the supervised loss (set to ``ignore_index``), so the
model cannot overfit the few labels early on.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

TSA_SCHEDULES = ('linear', 'log', 'exp')
REDUCTIONS = ('mean', 'masked_mean')


def tsa_threshold(schedule: str, progress: float, num_classes: int) -> float:
    """TSA's threshold ``eta`` at training ``progress`` in [0, 1] (see module doc)."""
    if schedule not in TSA_SCHEDULES:
        raise ValueError(f'tsa schedule must be one of {TSA_SCHEDULES}, got {schedule!r}')
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}')
    p = min(max(float(progress), 0.0), 1.0)
    scale = 5.0  # google-research/uda's constant
    alpha = {'linear': p,
             'log': 1.0 - math.exp(-p * scale),
             'exp': math.exp((p - 1.0) * scale)}[schedule]
    return alpha * (1.0 - 1.0 / num_classes) + 1.0 / num_classes


@torch.no_grad()
def tsa_mask_labels(seg_logits: torch.Tensor, label: torch.Tensor, threshold: float,
                    ignore_index: int = 255) -> Tuple[torch.Tensor, torch.Tensor]:
    """Labels with TSA applied: confident pixels (``p(true) > threshold``) ignored.

    Args:
        seg_logits (Tensor): (N, C, H, W) logits at label resolution.
        label (Tensor): (N, H, W) integer labels.

    Returns:
        tuple: the masked labels and the share of valid pixels kept.
    """
    if seg_logits.shape[0] != label.shape[0] or seg_logits.shape[2:] != label.shape[1:]:
        raise ValueError(f'TSA expects logits (N, C, H, W) and labels (N, H, W); got '
                         f'{tuple(seg_logits.shape)} and {tuple(label.shape)}')
    valid = label != ignore_index
    safe = torch.where(valid, label, torch.zeros_like(label)).long()
    p_true = seg_logits.float().softmax(dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
    drop = valid & (p_true > threshold)
    out = label.clone()
    out[drop] = ignore_index
    kept = (valid & ~drop).sum().float() / valid.sum().clamp(min=1).float()
    return out, kept


def uda_consistency_loss(student_logits: torch.Tensor,
                         teacher_logits: torch.Tensor,
                         temperature: float = 0.4,
                         threshold: float = 0.8,
                         valid_mask: Optional[torch.Tensor] = None,
                         reduction: str = 'mean') -> Tuple[torch.Tensor, torch.Tensor]:
    """Masked KL(sharpened teacher || student) per pixel (see module doc).

    Args:
        student_logits (Tensor): (N, C, H, W) logits on the strong view.
        teacher_logits (Tensor): (N, C, H, W) logits on the weak view; detached here.
        temperature (float): sharpening temperature (> 0). Defaults to 0.4.
        threshold (float): confidence threshold in [0, 1). Defaults to 0.8.
        valid_mask (Tensor, optional): (N, H, W) bool, False on padding and
            on pixels the strong view erased.
        reduction (str): ``'mean'`` or ``'masked_mean'``. Defaults to ``'mean'``.

    Returns:
        tuple: the loss (scalar) and the share of valid pixels above the threshold.
    """
    if student_logits.shape != teacher_logits.shape or student_logits.dim() != 4:
        raise ValueError('student and teacher logits must have the same (N, C, H, W) '
                         f'shape; got {tuple(student_logits.shape)} and '
                         f'{tuple(teacher_logits.shape)} (do both views share geometry?)')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    t = teacher_logits.detach().float()
    if valid_mask is None:
        valid_mask = torch.ones_like(t[:, 0], dtype=torch.bool)
    confident = (t.softmax(dim=1).amax(dim=1) > threshold) & valid_mask
    target = (t / temperature).softmax(dim=1)
    log_target = (t / temperature).log_softmax(dim=1)
    kl = (target * (log_target - student_logits.float().log_softmax(dim=1))).sum(dim=1)
    kl = kl * confident
    if reduction == 'mean':
        denom = valid_mask.sum().clamp(min=1)
    else:
        denom = confident.sum().clamp(min=1)
    ratio = confident.sum().float() / valid_mask.sum().clamp(min=1).float()
    return kl.sum() / denom, ratio
