"""pix2pixHD trained by mmagic's GAN machinery (``BaseGAN.train_step``)."""
from __future__ import annotations

from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper

from mmagic.models.base_models import BaseGAN
from mmagic.registry import MODELS
from mmagic.structures import DataSample

from ganseg_mm.utils.errors import ConfigError

from .losses import GAN_TYPES, VGGLoss, feature_matching_loss, gan_loss


@MODELS.register_module()
class Pix2PixHD(BaseGAN):
    """Label-to-image GAN: global generator + multi-scale PatchGAN discriminator.

    ``BaseGAN.train_step`` runs the data preprocessor, :meth:`train_discriminator`
    and, every ``discriminator_steps`` iterations, :meth:`train_generator` with
    the discriminator frozen. ``optim_wrapper`` holds one wrapper per network:
    ``dict(constructor='MultiOptimWrapperConstructor', generator=..., discriminator=...)``.

    Args:
        generator (dict): :class:`Pix2PixHDGenerator` config.
        discriminator (dict): :class:`Pix2PixHDDiscriminator` config.
        data_preprocessor (dict): :class:`Pix2PixHDDataPreprocessor` config.
        gan_type (str): 'lsgan' (pix2pixHD) or 'hinge' (SPADE). Defaults to 'lsgan'.
        feat_match_weight (float): Discriminator feature matching weight
            (0 disables). Defaults to 10.
        vgg_loss (dict, optional): ``dict(weight=10., pretrained='torchvision://vgg19')``;
            ``pretrained`` is a local vgg19 state-dict file, 'torchvision://vgg19'
            (torch hub cache, never downloaded) or None (random VGG). None
            disables the perceptual loss. Defaults to None.
        generator_steps (int): Generator updates per step. Defaults to 1.
        discriminator_steps (int): Discriminator updates per generator update.
            Defaults to 1.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 data_preprocessor: dict,
                 gan_type: str = 'lsgan',
                 feat_match_weight: float = 10.,
                 vgg_loss: Optional[dict] = None,
                 generator_steps: int = 1,
                 discriminator_steps: int = 1):
        super().__init__(generator, discriminator, data_preprocessor,
                         generator_steps=generator_steps,
                         discriminator_steps=discriminator_steps)
        if gan_type not in GAN_TYPES:
            raise ConfigError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
        if feat_match_weight < 0:
            raise ConfigError(f'feat_match_weight must be >= 0, got {feat_match_weight}')
        gen, disc = self.generator, self.discriminator
        if disc is not None and disc.in_channels != gen.in_channels + 3:
            raise ConfigError(f'discriminator.in_channels must be generator.in_channels + 3 '
                              f'= {gen.in_channels + 3}, got {disc.in_channels}')
        self.gan_type = gan_type
        self.feat_match_weight = feat_match_weight
        self.vgg_weight = 0.
        self._vgg: List[VGGLoss] = []  # a list keeps the frozen VGG out of checkpoints
        self._fake = None  # (cond, fake) of this iteration's discriminator step
        if vgg_loss is not None:
            unknown = set(vgg_loss) - {'weight', 'pretrained'}
            if unknown:
                raise ConfigError(f'vgg_loss keys are weight, pretrained; got {sorted(unknown)}')
            self.vgg_weight = float(vgg_loss.get('weight', 10.))
            self._vgg.append(VGGLoss(vgg_loss.get('pretrained', 'torchvision://vgg19')))

    # ----------------------------------------------------------------- inference
    def generate(self, cond: torch.Tensor) -> torch.Tensor:
        """Condition map -> RGB images in [-1, 1]."""
        return self.generator(cond)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """``inputs`` as produced by the preprocessor (``cond`` key) -> images."""
        if isinstance(inputs, dict) and 'cond' not in inputs:
            inputs = self.data_preprocessor(dict(inputs=inputs, data_samples=data_samples))[
                'inputs']
        cond = inputs['cond'] if isinstance(inputs, dict) else inputs
        return self.generate(cond)

    def val_step(self, data: dict) -> List[DataSample]:
        data = self.data_preprocessor(data)
        with torch.no_grad():
            fake = self.generate(data['inputs']['cond'])
        samples = data['data_samples'] or [DataSample() for _ in range(len(fake))]
        for s, f in zip(samples, fake):
            s.set_tensor_data(dict(fake_img=((f + 1) * 127.5).clamp(0, 255)))
        return samples

    test_step = val_step

    # ------------------------------------------------------------------ training
    def _disc(self, cond: torch.Tensor, img: torch.Tensor):
        return self.discriminator(torch.cat([cond, img], 1))

    def _reuses_fake(self, optimizer_wrapper: OptimWrapper) -> bool:
        """Whether the generator step of this iteration follows right after
        this discriminator step (mmagic's default: one D step, no gradient
        accumulation), so that the fake can be computed once for both, as
        pix2pixHD does. Otherwise a grad-carrying fake would wait for a
        generator step that does not come (and break DDP's next forward)."""
        # mmagic's BaseGAN.train_step reads the same attribute: no public accessor
        accumulate = getattr(optimizer_wrapper, '_accumulative_counts', 1)
        return self.discriminator_steps == 1 and accumulate == 1

    def train_discriminator(self, inputs: dict, data_samples, optimizer_wrapper: OptimWrapper
                            ) -> Dict[str, torch.Tensor]:
        """Discriminator main: real -> 1, fake (detached) -> 0. The fake is kept
        (with its graph) for the generator step that follows."""
        cond, real = inputs['cond'], inputs['img']
        self._fake = None
        if self._reuses_fake(optimizer_wrapper):
            fake = self.generate(cond)
            self._fake = (cond, fake)
            fake = fake.detach()
        else:
            with torch.no_grad():
                fake = self.generate(cond)
        loss_fake = gan_loss(self._disc(cond, fake), False, self.gan_type)
        loss_real = gan_loss(self._disc(cond, real), True, self.gan_type)
        loss, log_vars = self.parse_losses(
            dict(loss_gan_d_fake=0.5 * loss_fake, loss_gan_d_real=0.5 * loss_real))
        optimizer_wrapper.update_params(loss)
        return log_vars

    def train_generator(self, inputs: dict, data_samples, optimizer_wrapper: OptimWrapper
                        ) -> Dict[str, torch.Tensor]:
        """Generator main: fool D, match D features of real, match VGG features."""
        cond, real = inputs['cond'], inputs['img']
        cached, self._fake = self._fake, None
        # the discriminator step's fake, by the same generator: pix2pixHD's one
        # generator forward per iteration (a second generator step recomputes)
        fake = cached[1] if cached is not None and cached[0] is cond else self.generate(cond)
        pred_fake = self._disc(cond, fake)
        losses = dict(loss_gan_g=gan_loss(pred_fake, True, self.gan_type,
                                          for_discriminator=False))
        if self.feat_match_weight > 0:
            with torch.no_grad():
                pred_real = self._disc(cond, real)
            losses['loss_feat_match'] = self.feat_match_weight * feature_matching_loss(
                pred_fake, pred_real)
        if self._vgg and self.vgg_weight > 0:
            vgg = self._vgg[0].to(fake.device)
            losses['loss_vgg'] = self.vgg_weight * vgg(fake, real)
        with torch.no_grad():
            log_l1 = (fake - real).abs().mean()
        loss, log_vars = self.parse_losses(losses)
        optimizer_wrapper.update_params(loss)
        log_vars['l1_fake_real'] = log_l1  # a metric, not a loss (no 'loss' in name)
        return log_vars
