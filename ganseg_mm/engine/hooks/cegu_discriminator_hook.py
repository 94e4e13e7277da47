"""``CEGUDiscriminatorHook``: owns, trains and reports the CEGU discriminator."""
from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, broadcast, get_world_size
from mmengine.hooks import Hook, LoggerHook
from mmengine.model import is_model_wrapper
from mmengine.optim import build_optim_wrapper
from mmengine.registry import HOOKS, DefaultScope
from mmseg.registry import MODELS

from ganseg_mm.models.losses.cegu_loss import (ENCODINGS, CEGUAdversarialLoss, CEGUContext,
                                               CEGULoss)
from ganseg_mm.visualization import cityscapes_palette, label_to_colour, value_to_colour
from ganseg_mm.utils.errors import ConfigError

# Sums kept on the device between logging intervals (no per-iteration host sync).
_STATS = ('d_steps', 'd_bce', 'd_real', 'd_fake', 'nonfinite', 'n_valid', 'w_sum', 'w_sq',
          'w_above', 'w_wrong', 'n_wrong', 'w_right', 'n_right')


@HOOKS.register_module()
class CEGUDiscriminatorHook(Hook):
    """Train the pixel discriminator of CEGU next to the segmentor.

    The discriminator is not part of the segmentor: the hook builds it in
    ``before_run``, hands it to every ``CEGULoss``/``CEGUAdversarialLoss`` of
    the model, and after each segmentor step updates it on that step's detached
    prediction (target 0) against the ground truth (target 1), both encoded as
    ``encoding`` says, with BCE over non-ignored pixels. Under DDP its gradients
    are averaged across ranks and its initial weights broadcast from rank 0, so
    every rank holds the same discriminator. Its weights, optimizer state and
    step are saved under the checkpoint key ``cegu_discriminator`` and restored
    by ``--resume``. A CEGU checkpoint's ``state_dict`` is the stock segmentor's.

    Logged every logging interval (means over the interval, rank 0's):
    ``cegu.d_bce``, ``cegu.d_real`` and ``cegu.d_fake`` (the discriminator's
    loss and mean sigmoid outputs on ground truth and prediction); after
    warm-up the weight map's spread ``cegu.w_std`` and ``cegu.w_above_1.5``
    (share of pixels weighted > 1.5), and ``cegu.w_wrong_vs_right``: the mean
    weight on misclassified pixels over the mean on correct ones (> 1: CEGU
    stresses the pixels the segmentor gets wrong). Every ``vis_interval``
    iterations a picture ``cegu_weights`` (image | ground truth | prediction |
    weight map, jet on [0, ``vis_max_weight``]) goes to the runner's
    visualizer, hence to its backends (local files, TensorBoard, ...).

    Args:
        discriminator (dict): Config of the discriminator, e.g.
            ``dict(type='PixelDiscriminator')``. Its ``in_channels``, when
            unset or None, is inferred: the segmentor's ``num_classes`` (+3
            with ``with_image``); an explicit value must equal that.
        optim_wrapper (dict): Its optimizer wrapper config. Defaults to Adam
            lr 1e-4, betas (0.9, 0.99) (AdvSemiSeg). The segmentor's ``--amp``
            does not reach the discriminator, which runs in fp32 unless this is
            an ``AmpOptimWrapper``.
        warmup_iters (int): Iterations during which the discriminator trains
            but the losses stay plain CE / zero. Defaults to 1000.
        encoding (str): How predictions are shown to the discriminator:
            ``'onehot'``, ``'softmax'`` or ``'sharpened'``
            (:class:`CEGUContext`). Defaults to ``'onehot'``.
        temperature (float): Of ``'sharpened'``. Defaults to 0.1.
        with_image (bool): Concatenate the normalized image to the encoded
            maps. Defaults to False.
        log_interval (int, optional): Iterations between logged statistics.
            Defaults to the ``LoggerHook``'s interval.
        vis_interval (int): Iterations between weight-map pictures; 0 for
            none. Defaults to 1000.
        vis_max_weight (float): Weight shown red in the pictures. Defaults to 3.0.
        sync_check_interval (int): Under DDP, every this many iterations check
            (two scalar all-reduces) that all ranks hold the same
            discriminator, and stop with an error if not. Defaults to 100.
        priority (str): Hook priority. Defaults to ``'NORMAL'`` (before the
            ``LoggerHook`` reads the statistics).
    """

    checkpoint_key = 'cegu_discriminator'

    def __init__(self,
                 discriminator: dict,
                 optim_wrapper: dict | None = None,
                 warmup_iters: int = 1000,
                 encoding: str = 'onehot',
                 temperature: float = 0.1,
                 with_image: bool = False,
                 log_interval: int | None = None,
                 vis_interval: int = 1000,
                 vis_max_weight: float = 3.0,
                 sync_check_interval: int = 100,
                 priority: str = 'NORMAL'):
        if warmup_iters < 0:
            raise ConfigError(f'warmup_iters must be >= 0, got {warmup_iters}')
        if encoding not in ENCODINGS:
            raise ConfigError(f'encoding must be one of {ENCODINGS}, got {encoding!r}')
        if log_interval is not None and log_interval < 1:
            raise ConfigError(f'log_interval must be >= 1, got {log_interval}')
        if vis_interval < 0:
            raise ConfigError(f'vis_interval must be >= 0, got {vis_interval}')
        self.discriminator_cfg = copy.deepcopy(discriminator)
        self.optim_wrapper_cfg = copy.deepcopy(optim_wrapper) or dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99)))
        self.warmup_iters = warmup_iters
        self.encoding, self.temperature = encoding, temperature
        self.with_image = with_image
        self.log_interval = log_interval
        self.vis_interval, self.vis_max_weight = vis_interval, vis_max_weight
        self.sync_check_interval = sync_check_interval
        self.priority = priority
        self.step = 0
        self.synced_at_iter = None
        self._pending_state = None
        self._stats = None

    # -- building -------------------------------------------------------------
    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        losses = [m for m in model.modules() if isinstance(m, (CEGULoss, CEGUAdversarialLoss))]
        if not losses:
            raise ConfigError('CEGUDiscriminatorHook: the model has no CEGULoss or '
                              'CEGUAdversarialLoss in its loss_decode')
        self.build_discriminator(model.decode_head.num_classes,
                                 next(model.parameters()).device)
        for loss in losses:
            loss.cegu = self.context
        if self.log_interval is None:
            loggers = [h for h in runner.hooks if isinstance(h, LoggerHook)]
            self.log_interval = loggers[0].interval if loggers else 50

    def build_discriminator(self, num_classes: int, device) -> None:
        """Build the discriminator (``in_channels`` inferred when unset), its
        optimizer wrapper and the shared context."""
        cfg = copy.deepcopy(self.discriminator_cfg)
        expected = num_classes + (3 if self.with_image else 0)
        got = cfg.get('in_channels')
        if got is None:
            cfg['in_channels'] = expected
        elif got != expected:  # a config error, reported like the other hook arguments
            raise ConfigError(
                f'CEGU discriminator in_channels={got}, but the segmentor has '
                f'num_classes={num_classes}' + (' (+3 image channels)' if self.with_image else '')
                + f': set in_channels={expected} or leave it unset (inferred)')
        # mmseg's scope whatever the caller's default scope is (an mmagic one
        # left by a GAN step would not find the discriminator)
        with DefaultScope.overwrite_default_scope('mmseg'):
            self.discriminator = MODELS.build(cfg)
        self.discriminator.to(device)
        self.discriminator.requires_grad_(False)  # frozen except in its own step
        self.optim_wrapper = build_optim_wrapper(self.discriminator, self.optim_wrapper_cfg)
        self.context = CEGUContext(
            self.discriminator, num_classes, encoding=self.encoding,
            temperature=self.temperature, with_image=self.with_image,
            precision=lambda: self.optim_wrapper.optim_context(self.discriminator))
        self._stats = torch.zeros(len(_STATS), dtype=torch.float64, device=device)

    def before_train(self, runner) -> None:
        if self._pending_state is not None:
            self._load_state(self._pending_state)
            self._pending_state = None
        if get_world_size() > 1:  # identical discriminator on every rank
            for p in self.discriminator.state_dict().values():
                broadcast(p, src=0)

    # -- per iteration ----------------------------------------------------------
    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.context.active = runner.iter >= self.warmup_iters
        self.context.cache = None
        if self.with_image:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            with torch.no_grad():
                self.context.image = model.data_preprocessor(_labeled(data_batch),
                                                             True)['inputs']

    def train_discriminator(self, logits: torch.Tensor, label: torch.Tensor,
                            ignore_index: int = 255) -> torch.Tensor:
        """One discriminator step: ground truth -> 1, prediction -> 0.

        Returns the step's ``(bce, mean D(real), mean D(fake), non-finite
        count)`` as one device tensor (no host sync).
        """
        valid = label != ignore_index
        fake = self.context.encode_prediction(logits.detach(), valid)
        real = self.context.encode_label(label, valid)
        self.discriminator.requires_grad_(True)
        try:
            out = self.context.discriminate(torch.cat([fake, real]))
            target = torch.cat([torch.zeros_like(out[:len(fake)]),
                                torch.ones_like(out[len(fake):])])
            mask = torch.cat([valid, valid]).float()
            bce = F.binary_cross_entropy_with_logits(out, target, reduction='none')
            loss_d = (bce * mask).sum() / mask.sum().clamp(min=1)
            self.optim_wrapper.backward(loss_d)
            if get_world_size() > 1:
                for p in self.discriminator.parameters():
                    if p.grad is not None:
                        all_reduce(p.grad, op='mean')
            self.optim_wrapper.step()
            self.optim_wrapper.zero_grad()
        finally:
            self.discriminator.requires_grad_(False)
        self.step += 1
        with torch.no_grad():
            prob = torch.sigmoid(out.detach())
            n = valid.sum().clamp(min=1)
            return torch.stack([loss_d.detach(), (prob[len(fake):] * valid).sum() / n,
                                (prob[:len(fake)] * valid).sum() / n,
                                (~torch.isfinite(out.detach())).sum().float()])

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        cache = self.context.cache
        self.context.cache = None
        if cache is None:
            raise RuntimeError('CEGULoss was not called in this iteration; is it in '
                               'decode_head.loss_decode?')
        d_stats = self.train_discriminator(cache['logits'], cache['label'], cache['ignore_index'])
        self._accumulate(d_stats, cache)
        if get_world_size() > 1 and self.every_n_train_iters(runner, self.sync_check_interval):
            self._check_ranks_in_sync(runner)
        if self.every_n_train_iters(runner, self.log_interval):
            self._flush(runner)
        if (self.vis_interval and cache['weights'] is not None
                and self.every_n_train_iters(runner, self.vis_interval)):
            self._add_weight_picture(runner, data_batch, cache)

    # -- statistics and pictures ------------------------------------------------
    @torch.no_grad()
    def _accumulate(self, d_stats: torch.Tensor, cache: dict) -> None:
        row = torch.zeros_like(self._stats)
        row[0] = 1
        row[1:5] = d_stats
        w = cache['weights']
        if w is not None:
            label = cache['label']
            valid = label != cache['ignore_index']
            wrong = (cache['logits'].argmax(dim=1) != label) & valid
            right = valid & ~wrong
            row[5:] = torch.stack([t.to(row.dtype) for t in (
                valid.sum(), (w * valid).sum(), (w.square() * valid).sum(),
                ((w > 1.5) & valid).sum(), (w * wrong).sum(), wrong.sum(),
                (w * right).sum(), right.sum())])
        self._stats += row

    def _flush(self, runner) -> None:
        """Log the interval's means (the one host sync) and check finiteness."""
        s = dict(zip(_STATS, self._stats.tolist()))
        self._stats.zero_()
        if s['nonfinite'] > 0 or not np.isfinite(s['d_bce']):
            raise FloatingPointError(
                f'CEGU discriminator output was not finite (NaN/Inf) at {int(s["nonfinite"])} '
                f'pixels in the last {int(s["d_steps"])} iterations; training stopped. Lower '
                'the discriminator lr or use AMP loss scaling.')
        if not s['d_steps']:
            return
        hub = runner.message_hub
        for key in ('d_bce', 'd_real', 'd_fake'):
            hub.update_scalar(f'train/cegu.{key}', s[key] / s['d_steps'])
        if s['n_valid'] > 0:
            mean = s['w_sum'] / s['n_valid']
            hub.update_scalar('train/cegu.w_std',
                              max(s['w_sq'] / s['n_valid'] - mean * mean, 0.0)**0.5)
            hub.update_scalar('train/cegu.w_above_1.5', s['w_above'] / s['n_valid'])
            if s['n_wrong'] > 0 and s['w_right'] > 0:
                hub.update_scalar('train/cegu.w_wrong_vs_right', (s['w_wrong'] / s['n_wrong'])
                                  / (s['w_right'] / s['n_right']))

    @torch.no_grad()
    def _add_weight_picture(self, runner, data_batch, cache) -> None:
        """image | ground truth | prediction | weight map of the batch's first sample."""
        img = _labeled(data_batch)['inputs'][0].cpu().numpy().transpose(1, 2, 0)
        h, w = img.shape[:2]  # the label may be padded beyond the image (bottom/right)
        if img.shape[2] == 3:
            img = img[..., ::-1]  # mmseg loads BGR; the visualizer takes RGB
        metainfo = getattr(runner.train_dataloader.dataset, 'metainfo', {}) or {}
        palette = metainfo.get('palette')
        if palette is None or len(palette) == 0:
            palette = cityscapes_palette(self.context.num_classes)
        label = cache['label'][0, :h, :w].cpu().numpy()
        pred = cache['logits'][0].argmax(dim=0)[:h, :w].cpu().numpy()
        weights = cache['weights'][0, :h, :w].float().cpu().numpy()
        picture = np.concatenate([
            np.ascontiguousarray(img, dtype=np.uint8), label_to_colour(label, palette),
            label_to_colour(pred, palette), value_to_colour(weights, self.vis_max_weight)], 1)
        runner.visualizer.add_image('cegu_weights', picture, step=runner.iter + 1)

    # -- checkpoints -------------------------------------------------------------
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[self.checkpoint_key] = dict(
            state_dict={k: v.detach().cpu() for k, v in self.discriminator.state_dict().items()},
            optimizer=self.optim_wrapper.state_dict(),
            step=self.step,
            world_size=get_world_size(),
            synced_at_iter=self.synced_at_iter)

    def _check_ranks_in_sync(self, runner) -> None:
        """Stop if the ranks' discriminators differ (every rank must call this)."""
        total = sum(p.detach().double().sum() for p in self.discriminator.parameters())
        hi, lo = total.clone(), total.clone()
        all_reduce(hi, op='max')
        all_reduce(lo, op='min')
        if hi.item() != lo.item():
            raise RuntimeError(f'CEGU discriminators differ across ranks (parameter sums '
                               f'{lo.item()} .. {hi.item()}); gradients were not synchronized')
        self.synced_at_iter = runner.iter + 1

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(self.checkpoint_key)
        if state is None:
            return
        if not runner._resume:  # no public flag says "resuming"; mmengine's EMAHook reads it too
            runner.logger.warning(f'{self.checkpoint_key!r} in the checkpoint is ignored: '
                                  'the discriminator is only restored when resuming')
            return
        self._pending_state = state
        if getattr(self, 'discriminator', None) is not None:
            self._load_state(state)
            self._pending_state = None

    def _load_state(self, state: dict) -> None:
        self.discriminator.load_state_dict(state['state_dict'])
        self.optim_wrapper.load_state_dict(state['optimizer'])
        self.step = state['step']


def _labeled(data_batch: dict) -> dict:
    """The labeled batch, also from UDA's loop (``dict(sup=..., unsup=...)``)."""
    return data_batch['sup'] if 'sup' in data_batch else data_batch
