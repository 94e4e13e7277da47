"""``CEGUDiscriminatorHook``: owns and trains the CEGU discriminator."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, broadcast, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import build_optim_wrapper
from mmengine.registry import HOOKS
from mmseg.registry import MODELS

from ganseg_mm.models.losses.cegu_loss import (CEGUAdversarialLoss, CEGUContext, CEGULoss,
                                               _checked)


@HOOKS.register_module()
class CEGUDiscriminatorHook(Hook):
    """Train the pixel discriminator of CEGU next to the segmentor.

    The discriminator is not part of the segmentor: the hook builds it in
    ``before_run``, hands it to every ``CEGULoss``/``CEGUAdversarialLoss`` of
    the model, and after each segmentor step updates it on that step's detached
    prediction (label 0) against the one-hot ground truth (label 1) with BCE
    over non-ignored pixels. Under DDP its gradients are averaged across ranks
    and its initial weights broadcast from rank 0, so every rank holds the same
    discriminator. Its weights, optimizer state and step are saved under the
    checkpoint key ``cegu_discriminator`` and restored by ``--resume``. A CEGU
    checkpoint's ``state_dict`` is the stock segmentor's.

    Logged: ``train/cegu.loss_d``, ``train/cegu.d_real``, ``train/cegu.d_fake``
    (mean sigmoid outputs) and ``train/cegu.uncertainty`` (mean ``1 - d_fake``).

    Args:
        discriminator (dict): Config of the discriminator, e.g.
            ``dict(type='PixelDiscriminator', in_channels=19)``; ``in_channels``
            must equal ``num_classes`` (+3 with ``with_image``).
        optim_wrapper (dict): Its optimizer wrapper config. Defaults to Adam
            lr 1e-4, betas (0.9, 0.99) (AdvSemiSeg). Use
            ``type='AmpOptimWrapper'`` for mixed precision.
        warmup_iters (int): Iterations during which the discriminator trains
            but the losses stay plain CE / zero. Defaults to 1000.
        with_image (bool): Concatenate the normalized image to the encoded
            maps. Defaults to False.
        sync_check_interval (int): Under DDP, every this many iterations check
            (two scalar all-reduces) that all ranks hold the same
            discriminator, and stop with an error if not. Defaults to 100.
        priority (str): Hook priority. Defaults to ``'NORMAL'``.
    """

    checkpoint_key = 'cegu_discriminator'

    def __init__(self,
                 discriminator: dict,
                 optim_wrapper: dict | None = None,
                 warmup_iters: int = 1000,
                 with_image: bool = False,
                 sync_check_interval: int = 100,
                 priority: str = 'NORMAL'):
        if warmup_iters < 0:
            raise ValueError(f'warmup_iters must be >= 0, got {warmup_iters}')
        self.discriminator_cfg = copy.deepcopy(discriminator)
        self.optim_wrapper_cfg = copy.deepcopy(optim_wrapper) or dict(
            type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99)))
        self.warmup_iters = warmup_iters
        self.with_image = with_image
        self.sync_check_interval = sync_check_interval
        self.priority = priority
        self.step = 0
        self.synced_at_iter = None
        self._pending_state = None

    # -- building -------------------------------------------------------------
    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        losses = [m for m in model.modules() if isinstance(m, (CEGULoss, CEGUAdversarialLoss))]
        if not losses:
            raise ValueError('CEGUDiscriminatorHook: the model has no CEGULoss or '
                             'CEGUAdversarialLoss in its loss_decode')
        num_classes = model.decode_head.num_classes
        self.discriminator = MODELS.build(self.discriminator_cfg)
        expected = num_classes + (3 if self.with_image else 0)
        got = getattr(self.discriminator, 'in_channels', expected)
        if got != expected:
            raise ValueError(
                f'CEGU discriminator in_channels={got}, but the segmentor has '
                f'num_classes={num_classes}' + (' (+3 image channels)' if self.with_image else '')
                + f': set in_channels={expected}')
        device = next(model.parameters()).device
        self.discriminator.to(device)
        self.discriminator.requires_grad_(False)  # frozen except in its own step
        self.optim_wrapper = build_optim_wrapper(self.discriminator, self.optim_wrapper_cfg)
        self.context = CEGUContext(self.discriminator, with_image=self.with_image)
        for loss in losses:
            loss.cegu = self.context
        self.num_classes = num_classes

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
                self.context.image = model.data_preprocessor(data_batch, True)['inputs']

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.context.cache is None:
            raise RuntimeError('CEGULoss was not called in this iteration; is it in '
                               'decode_head.loss_decode?')
        logits, label, ignore_index = self.context.cache
        self.context.cache = None
        valid = label != ignore_index
        pred = self.context.encode_prediction(logits, valid)
        onehot = F.one_hot(label.clamp(0, self.num_classes - 1), self.num_classes)
        real = self.context.with_image_channels(
            onehot.permute(0, 3, 1, 2).to(pred.dtype) * valid.unsqueeze(1))
        self.discriminator.requires_grad_(True)
        try:
            with self.optim_wrapper.optim_context(self.discriminator):
                out = _checked(self.discriminator(torch.cat([pred, real])))[:, 0].float()
                target = torch.cat([torch.zeros_like(out[:len(pred)]),
                                    torch.ones_like(out[len(pred):])])
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
            prob = torch.sigmoid(out)
            n = valid.sum().clamp(min=1)
            d_fake = (prob[:len(pred)] * valid).sum() / n
            d_real = (prob[len(pred):] * valid).sum() / n
        if get_world_size() > 1 and self.every_n_train_iters(runner, self.sync_check_interval):
            self._check_ranks_in_sync(runner)
        hub = runner.message_hub
        hub.update_scalar('train/cegu.loss_d', loss_d.item())
        hub.update_scalar('train/cegu.d_real', d_real.item())
        hub.update_scalar('train/cegu.d_fake', d_fake.item())
        hub.update_scalar('train/cegu.uncertainty', 1.0 - d_fake.item())

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
