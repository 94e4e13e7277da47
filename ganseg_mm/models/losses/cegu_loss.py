"""CEGU: cross-entropy weighted by the uncertainty a discriminator sees.

Zhang et al., "Image Semantic Segmentation Based on the GAN Auxiliary Network"
(PIC 2021): the segmentation result is *encoded* and fed to a discriminator
that gives a per-pixel uncertainty; the uncertainty weights the cross-entropy.
The discriminator geometry and its training follow AdvSemiSeg (Hung et al.,
BMVC 2018, github.com/hfslyc/AdvSemiSeg).

How the weights are derived, per pixel ``i`` of a batch:

1. ``e = encode(seg_logits)`` (:meth:`CEGUContext.encode_prediction`; ignored
   pixels set to 0) and ``u_i = sigmoid(-D(e)_i) = 1 - sigmoid(D(e)_i)``: how
   unlike a ground-truth map the prediction looks there (0 = certain,
   1 = uncertain).
2. ``f_i = weighting(u_i)``: ``'linear'`` ``u``, ``'power'`` ``u ** gamma``,
   ``'exp'`` ``exp(gamma * u)``.
3. ``w_i = (1 - strength) + strength * f_i / mean_valid(f)``: the mean over
   non-ignored pixels of ``f / mean(f)`` is 1, so the loss keeps the scale of
   plain CE, uncertain pixels weigh more, and a uniform ``u`` gives exactly
   plain CE. Ignored pixels get weight 0.
4. ``loss = reduce(w_i * CE_i)`` exactly as mmseg's ``CrossEntropyLoss``
   (class weights, ``avg_non_ignore``, ``loss_weight``).

Why the encoding matters: ground truth reaches ``D`` as a one-hot map. If the
prediction reaches it as a softmax map, ``D`` separates the two by softness
alone (any non-one-hot pixel is fake), ``u`` is ~1 everywhere, the normalized
weights are ~1 everywhere and CEGU trains exactly like plain CE. The default
``'onehot'`` encoding gives ``D`` the one-hot of the argmax, so real and fake
differ only in their *layout*, and ``u`` is high where the predicted layout is
implausible. For the adversarial term, whose gradient must reach the logits,
the same one-hot value is used with the softmax's gradient (straight-through,
Bengio et al., 2013). docs/cegu.md has the measurements behind this choice.

No gradient flows through the weights: ``u`` is computed under ``no_grad``.
The discriminator shapes the segmentor directly only through
``CEGUAdversarialLoss``, whose gradient flows through the frozen ``D``.

Both losses get the discriminator from ``CEGUDiscriminatorHook``; until the
hook says the discriminator has warmed up, ``CEGULoss`` is plain CE and
``CEGUAdversarialLoss`` is 0. Nothing here synchronizes with the host: the
hook checks the recorded statistics at its logging interval.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss
from mmseg.registry import MODELS

from ganseg_mm.utils.errors import ConfigError

WEIGHTINGS = ('linear', 'power', 'exp')
ENCODINGS = ('onehot', 'softmax', 'sharpened')


class CEGUContext:
    """What ``CEGUDiscriminatorHook`` shares with the CEGU losses (not a module).

    Holding the discriminator here, and not as a submodule of the loss, keeps
    it out of the segmentor's ``state_dict``, parameters and DDP wrapper.

    Args:
        discriminator (nn.Module): Maps ``(N, C[+3], H, W)`` to ``(N, 1, H, W)``
            logits, positive = "looks like ground truth".
        num_classes (int): Channels of the encoded maps.
        encoding (str): How a prediction is shown to ``D``: ``'onehot'``
            (argmax, straight-through gradient), ``'softmax'`` (AdvSemiSeg) or
            ``'sharpened'`` (``softmax(logits / temperature)``). Defaults to
            ``'onehot'``.
        temperature (float): Of ``'sharpened'``. Defaults to 0.1.
        with_image (bool): Concatenate the normalized image. Defaults to False.
        precision (callable, optional): Returns the context manager ``D`` runs
            under (the hook passes its optimizer wrapper's ``optim_context``).
    """

    def __init__(self, discriminator: nn.Module, num_classes: int, encoding: str = 'onehot',
                 temperature: float = 0.1, with_image: bool = False, precision=None):
        if encoding not in ENCODINGS:
            raise ConfigError(f'encoding must be one of {ENCODINGS}, got {encoding!r}')
        if temperature <= 0:
            raise ConfigError(f'temperature must be > 0, got {temperature}')
        self.discriminator = discriminator
        self.num_classes = num_classes
        self.encoding = encoding
        self.temperature = temperature
        self.with_image = with_image
        self.precision = precision
        self.active = False  # set by the hook after warm-up
        self.image = None  # (N, 3, H, W) normalized inputs when with_image
        # first CEGU call of the iteration: dict(logits, label, ignore_index,
        # weights) for the discriminator's step, statistics and pictures
        self.cache = None

    def encode_prediction(self, seg_logits: torch.Tensor, valid: torch.Tensor,
                          grad: bool = False) -> torch.Tensor:
        """``D``'s float32 input for a prediction; differentiable if ``grad``."""
        logits = seg_logits.float()
        if self.encoding == 'sharpened':
            x = (logits / self.temperature).softmax(dim=1)
        elif self.encoding == 'softmax':
            x = logits.softmax(dim=1)
        else:
            x = self.one_hot(logits.argmax(dim=1))
            if grad:  # straight-through: one-hot value, softmax gradient
                soft = logits.softmax(dim=1)
                x = x + (soft - soft.detach())  # exactly 0 forward
        return self.with_image_channels(x * valid.unsqueeze(1))

    def encode_label(self, label: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``D``'s input for a ground-truth map: its one-hot, 0 at ignored pixels."""
        onehot = self.one_hot(label.clamp(0, self.num_classes - 1))
        return self.with_image_channels(onehot * valid.unsqueeze(1))

    def one_hot(self, index: torch.Tensor) -> torch.Tensor:
        return F.one_hot(index, self.num_classes).permute(0, 3, 1, 2).float()

    def with_image_channels(self, x: torch.Tensor) -> torch.Tensor:
        if not self.with_image:
            return x
        if self.image is None:
            raise RuntimeError('with_image=True but the hook supplied no image')
        img = F.interpolate(self.image.float(), size=x.shape[2:], mode='bilinear',
                            align_corners=False)
        return torch.cat([x, img], dim=1)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """``D(x)[:, 0]`` in float32, in ``D``'s own precision.

        The segmentor's autocast (``--amp``) is switched off here, so ``D``
        runs in fp32 unless its own optimizer wrapper is an
        ``AmpOptimWrapper``, whose ``optim_context`` turns autocast back on.
        """
        with torch.autocast(device_type=x.device.type, enabled=False):
            if self.precision is None:
                return self.discriminator(x)[:, 0].float()
            with self.precision():
                return self.discriminator(x)[:, 0].float()

    def uncertainty(self, seg_logits: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``u = 1 - sigmoid(D(encode(pred)))`` per pixel, ``(N, H, W)``, no gradient.

        A non-finite ``D`` output counts as fully uncertain (``u = 1``) instead
        of spreading NaN into the segmentor; the hook's finiteness check at its
        logging interval reports it.
        """
        with torch.no_grad():
            d = self.discriminate(self.encode_prediction(seg_logits, valid))
            return torch.sigmoid(-d).nan_to_num(nan=1.0)


def _check_inputs(seg_logits: torch.Tensor, label: torch.Tensor) -> None:
    if seg_logits.dim() != 4 or label.dim() != 3 or \
            seg_logits.shape[0] != label.shape[0] or seg_logits.shape[2:] != label.shape[1:]:
        raise ValueError(f'CEGU expects logits (N, C, H, W) and labels (N, H, W) of the '
                         f'same N, H, W; got {tuple(seg_logits.shape)} and '
                         f'{tuple(label.shape)}')


def _avg_factor(label, valid, class_weight, avg_non_ignore):
    """mmseg's averaging (as a tensor: no host sync), without its crash on
    class weights + ignored pixels.

    No class weights: all pixels, or the non-ignored ones with
    ``avg_non_ignore``. Class weights: the sum of the class weights of the
    non-ignored pixels, plus one per ignored pixel unless ``avg_non_ignore``
    (mmseg 1.2.2 indexes ``class_weight`` with the ignore id there and fails).
    """
    if class_weight is None:
        return valid.sum() if avg_non_ignore else label.numel()
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

    Use it in ``decode_head.loss_decode`` (alone or in a list, e.g. with
    ``CEGUAdversarialLoss``) together with
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
            raise ConfigError(f'weighting must be one of {WEIGHTINGS}, got {weighting!r}')
        if not 0.0 <= strength <= 1.0:
            raise ConfigError(f'strength must be in [0, 1], got {strength}')
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
        first = ctx is not None and ctx.cache is None  # the main head, not an auxiliary one
        if first:
            ctx.cache = dict(logits=cls_score.detach(), label=label.detach(),
                             ignore_index=ignore_index, weights=None)
        if ctx is not None and ctx.active:
            pixel_w = cegu_pixel_weights(ctx.uncertainty(cls_score, valid), valid,
                                         self.weighting, self.strength, self.gamma)
            if first:
                ctx.cache['weights'] = pixel_w
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
    """Adversarial term: make predictions look like ground truth to ``D``.

    ``BCE(D(encode(pred)), real)`` averaged over non-ignored pixels; the
    gradient flows through the frozen discriminator into the prediction (with
    the ``'onehot'`` encoding, through the softmax: straight-through). It is
    the "GAN" of the GAN auxiliary network and part of the default CEGU
    configs; without it CEGU is the weighting alone (the ablation configs).
    Put it next to ``CEGULoss`` in ``loss_decode``; it is 0 until warm-up ends.

    Args:
        loss_weight (float): AdvSemiSeg uses 0.01 on labeled images. Defaults to 0.01.
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
        logits = self.cegu.discriminate(self.cegu.encode_prediction(cls_score, valid, grad=True))
        loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits),
                                                  reduction='none')
        return self.loss_weight * (loss * valid).sum() / valid.sum().clamp(min=1)

    @property
    def loss_name(self):
        return self._loss_name
