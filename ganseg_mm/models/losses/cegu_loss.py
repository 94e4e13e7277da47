"""CEGU: cross-entropy weighted by the uncertainty a discriminator sees.

How the weights are derived, per pixel ``i`` of a batch:

1. ``p_i = softmax(seg_logits)_i`` (ignored pixels set to 0), and the
   discriminator ``D`` gives ``u_i = 1 - sigmoid(D(p)_i)``: how unlike a ground
   truth map the prediction looks there (0 = certain, 1 = uncertain).
2. ``f_i = weighting(u_i)``: ``'linear'`` ``u``, ``'power'`` ``u ** gamma``,
   ``'exp'`` ``exp(gamma * u)``.
3. ``w_i = (1 - strength) + strength * f_i / mean_valid(f)``: the mean over
   non-ignored pixels of ``f / mean(f)`` is 1, so the loss keeps the scale of
   plain CE, uncertain pixels weigh more, and a uniform ``u`` gives exactly
   plain CE. Ignored pixels get weight 0.
4. ``loss = reduce(w_i * CE_i)`` exactly as mmseg's ``CrossEntropyLoss``
   (class weights, ``avg_non_ignore``, ``loss_weight``).

No gradient flows through the weights: ``u`` is computed under ``no_grad`` and
``D`` is frozen for the segmentor's step. The discriminator only shapes the
segmentor through ``CEGUAdversarialLoss`` (optional), whose gradient does flow
through the frozen ``D`` into the prediction.

Both losses get the discriminator from ``CEGUDiscriminatorHook``; until the
hook says the discriminator has warmed up, ``CEGULoss`` is plain CE and
``CEGUAdversarialLoss`` is 0.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss
from mmseg.registry import MODELS

WEIGHTINGS = ('linear', 'power', 'exp')


class CEGUContext:
    """What ``CEGUDiscriminatorHook`` shares with the CEGU losses (not a module).

    Holding the discriminator here, and not as a submodule of the loss, keeps
    it out of the segmentor's ``state_dict``, parameters and DDP wrapper.
    """

    def __init__(self, discriminator: nn.Module, with_image: bool = False):
        self.discriminator = discriminator
        self.with_image = with_image
        self.active = False  # set by the hook after warm-up
        self.image = None  # (N, 3, H, W) normalized inputs when with_image
        self.cache = None  # first CEGU call of the iteration: inputs for D's step

    def encode_prediction(self, seg_logits: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        prob = seg_logits.softmax(dim=1) * valid.unsqueeze(1)
        return self.with_image_channels(prob)

    def with_image_channels(self, x: torch.Tensor) -> torch.Tensor:
        if not self.with_image:
            return x
        if self.image is None:
            raise RuntimeError('with_image=True but the hook supplied no image')
        img = F.interpolate(self.image.to(x.dtype), size=x.shape[2:], mode='bilinear',
                            align_corners=False)
        return torch.cat([x, img], dim=1)


def _check_inputs(seg_logits: torch.Tensor, label: torch.Tensor) -> None:
    if seg_logits.dim() != 4 or label.dim() != 3 or \
            seg_logits.shape[0] != label.shape[0] or seg_logits.shape[2:] != label.shape[1:]:
        raise ValueError(f'CEGU expects logits (N, C, H, W) and labels (N, H, W) of the '
                         f'same N, H, W; got {tuple(seg_logits.shape)} and '
                         f'{tuple(label.shape)}')


def _checked(logits: torch.Tensor) -> torch.Tensor:
    if not torch.isfinite(logits).all():
        raise FloatingPointError(
            'CEGU discriminator output is not finite (NaN/Inf); training stopped '
            'instead of continuing with NaN weights. Lower the discriminator lr '
            'or use AMP loss scaling.')
    return logits


def _avg_factor(label, valid, class_weight, avg_non_ignore):
    """mmseg's averaging, without its crash on class weights + ignored pixels.

    No class weights: all pixels, or the non-ignored ones with
    ``avg_non_ignore``. Class weights: the sum of the class weights of the
    non-ignored pixels, plus one per ignored pixel unless ``avg_non_ignore``
    (mmseg 1.2.2 indexes ``class_weight`` with the ignore id there and fails).
    """
    if class_weight is None:
        return valid.sum().item() if avg_non_ignore else label.numel()
    n_classes = class_weight.numel()
    per_pixel = class_weight[label.clamp(0, n_classes - 1)] * valid
    extra = 0 if avg_non_ignore else (~valid).sum()
    return per_pixel.sum() + extra


def cegu_pixel_weights(uncertainty: torch.Tensor, valid: torch.Tensor,
                       weighting: str = 'linear', strength: float = 1.0,
                       gamma: float = 2.0) -> torch.Tensor:
    """Per-pixel CE weights from uncertainty (step 2-3 of the module docstring).

    Args:
        uncertainty (Tensor): ``(N, H, W)`` values in [0, 1].
        valid (Tensor): ``(N, H, W)`` bool, False at ignored pixels.
    """
    if weighting == 'linear':
        f = uncertainty
    elif weighting == 'power':
        f = uncertainty.pow(gamma)
    elif weighting == 'exp':
        f = torch.exp(gamma * uncertainty)
    else:
        raise ValueError(f'weighting must be one of {WEIGHTINGS}, got {weighting!r}')
    f = f * valid
    n_valid = valid.sum()
    mean = f.sum() / n_valid.clamp(min=1)
    rel = torch.where(mean > 0, f / mean.clamp(min=torch.finfo(f.dtype).tiny),
                      torch.ones_like(f))
    return ((1.0 - strength) + strength * rel) * valid


@MODELS.register_module()
class CEGULoss(nn.Module):
    """Cross-entropy with GAN uncertainty; a drop-in for ``CrossEntropyLoss``.

    Use it in ``decode_head.loss_decode`` (alone or in a list) together with
    ``custom_hooks=[dict(type='CEGUDiscriminatorHook', ...)]``.

    Args:
        weighting (str): ``'linear'``, ``'power'`` or ``'exp'`` (module
            docstring, step 2). Defaults to ``'linear'``.
        strength (float): In [0, 1]; 0 is plain CE, 1 uses the relative
            uncertainty as the weight. Defaults to 1.0.
        gamma (float): Exponent of ``'power'`` / rate of ``'exp'``. Defaults to 2.0.
        class_weight (list[float], optional): Per-class CE weights. Defaults to None.
        avg_non_ignore (bool): Average over non-ignored pixels only (mmseg's
            flag). Defaults to False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Log key; must start with ``loss_``. Defaults to ``'loss_cegu'``.
    """

    def __init__(self,
                 weighting: str = 'linear',
                 strength: float = 1.0,
                 gamma: float = 2.0,
                 class_weight=None,
                 avg_non_ignore: bool = False,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_cegu'):
        super().__init__()
        if weighting not in WEIGHTINGS:
            raise ValueError(f'weighting must be one of {WEIGHTINGS}, got {weighting!r}')
        if not 0.0 <= strength <= 1.0:
            raise ValueError(f'strength must be in [0, 1], got {strength}')
        self.weighting, self.strength, self.gamma = weighting, strength, gamma
        self.class_weight = class_weight
        self.avg_non_ignore = avg_non_ignore
        self.loss_weight = loss_weight
        self._loss_name = loss_name
        self.cegu = None  # CEGUContext, attached by CEGUDiscriminatorHook

    def forward(self, cls_score, label, weight=None, avg_factor=None,
                reduction_override=None, ignore_index=255, **kwargs):
        _check_inputs(cls_score, label)
        valid = label != ignore_index
        class_weight = (cls_score.new_tensor(self.class_weight)
                        if self.class_weight is not None else None)
        ce = F.cross_entropy(cls_score, label, weight=class_weight, reduction='none',
                             ignore_index=ignore_index)
        ctx = self.cegu
        if ctx is not None and ctx.cache is None:
            ctx.cache = (cls_score.detach(), label.detach(), ignore_index)
        if ctx is not None and ctx.active:
            with torch.no_grad():
                d_in = ctx.encode_prediction(cls_score.detach(), valid)
                u = 1.0 - torch.sigmoid(_checked(ctx.discriminator(d_in))[:, 0].float())
            pixel_w = cegu_pixel_weights(u, valid, self.weighting, self.strength, self.gamma)
            ce = ce * pixel_w.to(ce.dtype)
        if weight is not None:
            weight = weight.float()
        reduction = reduction_override or 'mean'
        if avg_factor is None and reduction == 'mean':
            avg_factor = _avg_factor(label, valid, class_weight, self.avg_non_ignore)
        loss = weight_reduce_loss(ce, weight=weight, reduction=reduction,
                                  avg_factor=avg_factor)
        return self.loss_weight * loss

    @property
    def loss_name(self):
        return self._loss_name


@MODELS.register_module()
class CEGUAdversarialLoss(nn.Module):
    """Optional adversarial term: make predictions look like ground truth to D.

    ``BCE(D(softmax(pred)), real)`` averaged over non-ignored pixels; the
    gradient flows through the frozen discriminator into the prediction.
    Put it next to ``CEGULoss`` in ``loss_decode``; it is 0 until warm-up ends.

    Args:
        loss_weight (float): AdvSemiSeg uses 0.01 (labeled). Defaults to 0.01.
        loss_name (str): Log key. Defaults to ``'loss_adv'``.
    """

    def __init__(self, loss_weight: float = 0.01, loss_name: str = 'loss_adv'):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name
        self.cegu = None

    def forward(self, cls_score, label, weight=None, ignore_index=255, **kwargs):
        _check_inputs(cls_score, label)
        if self.cegu is None or not self.cegu.active:
            return cls_score.sum() * 0.0
        valid = label != ignore_index
        logits = _checked(self.cegu.discriminator(
            self.cegu.encode_prediction(cls_score, valid)))[:, 0]
        loss = F.binary_cross_entropy_with_logits(
            logits.float(), torch.ones_like(logits, dtype=torch.float32), reduction='none')
        return self.loss_weight * (loss * valid).sum() / valid.sum().clamp(min=1)

    @property
    def loss_name(self):
        return self._loss_name
