"""pix2pixHD's losses: adversarial (LSGAN / hinge), feature matching, VGG perceptual."""
from __future__ import annotations

import os.path as osp
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ganseg_mm.utils.errors import ConfigError

GAN_TYPES = ('lsgan', 'hinge')
# relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 of torchvision's vgg19.features
VGG_LAYERS = (1, 6, 11, 20, 29)
VGG_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)
VGG19_FILE = 'vgg19-dcbb9e9d.pth'  # torchvision's file name in the torch hub cache


def gan_loss(preds: List[List[torch.Tensor]], target_real: bool, gan_type: str,
             for_discriminator: bool = True) -> torch.Tensor:
    """Adversarial loss summed over the discriminator scales, as pix2pixHD's
    ``GANLoss`` (NVIDIA/pix2pixHD ``models/networks.py``): with 2 scales the
    adversarial term weighs twice a single scale's against feature matching
    and VGG (both weighted 10).

    Args:
        preds: per scale, the feature list of a PatchGAN; the last is the logit map.
        target_real: whether the images are to be judged real.
        gan_type: 'lsgan' (MSE to 1/0, pix2pixHD) or 'hinge' (SPADE).
        for_discriminator: hinge only: the generator's loss is ``-D(fake)``.
    """
    if gan_type not in GAN_TYPES:
        raise ConfigError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')
    total = 0.
    for scale in preds:
        logit = scale[-1]
        if gan_type == 'lsgan':
            total = total + F.mse_loss(logit, torch.full_like(logit, float(target_real)))
        elif for_discriminator:
            sign = -1. if target_real else 1.
            total = total + F.relu(1. + sign * logit).mean()
        else:
            total = total - logit.mean()
    return total


def feature_matching_loss(fake: List[List[torch.Tensor]],
                          real: List[List[torch.Tensor]]) -> torch.Tensor:
    """L1 between the discriminator's intermediate features of fake and real
    (pix2pixHD: weights 4/(n_layers+1) per layer, 1/num_D per scale)."""
    total = 0.
    for f_scale, r_scale in zip(fake, real):
        w = 4.0 / (len(f_scale) - 1) / len(fake)
        for f, r in zip(f_scale[:-1], r_scale[:-1]):
            total = total + w * F.l1_loss(f, r.detach())
    return total


def resolve_vgg_weights(pretrained: Optional[str]) -> Optional[str]:
    """Path of the VGG19 weights, or None for random init. Raises if absent.

    ``'torchvision://vgg19'`` means torchvision's file in the torch hub cache
    (``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth``); nothing is downloaded.
    """
    if pretrained is None:
        return None
    path = pretrained
    if pretrained == 'torchvision://vgg19':
        path = osp.join(torch.hub.get_dir(), 'checkpoints', VGG19_FILE)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'VGG19 weights for the perceptual loss not found: {path} (from '
            f'vgg_loss.pretrained={pretrained!r}). Copy torchvision\'s {VGG19_FILE} '
            'there, or set model.vgg_loss.pretrained=None (random VGG, demo only) '
            'or model.vgg_loss=None (no perceptual loss).')
    return path


class VGGLoss(nn.Module):
    """pix2pixHD's perceptual loss: weighted L1 of VGG19 relu*_1 features.

    mmagic's ``PerceptualLoss`` always downloads torchvision weights, which is
    impossible offline; this one reads a local file or, explicitly, runs with a
    random VGG. The VGG is frozen and excluded from ``state_dict``-irrelevant
    updates by ``requires_grad=False``.

    Args:
        pretrained (str, optional): torchvision vgg19 state-dict file or
            'torchvision://vgg19' (hub cache); None = random init.
    """

    def __init__(self, pretrained: Optional[str] = 'torchvision://vgg19'):
        super().__init__()
        from torchvision.models.vgg import cfgs, make_layers
        path = resolve_vgg_weights(pretrained)
        features = make_layers(cfgs['E'])  # vgg19.features, without the big classifier
        if path is not None:
            state = torch.load(path, map_location='cpu', weights_only=True)
            features.load_state_dict({k[len('features.'):]: v for k, v in state.items()
                                      if k.startswith('features.')})
        self.features = features[:VGG_LAYERS[-1] + 1].eval()
        for p in self.features.parameters():
            p.requires_grad = False
        self.register_buffer('mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def train(self, mode: bool = True):
        super().train(mode)
        self.features.eval()
        return self

    def _feats(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = ((x + 1) / 2 - self.mean) / self.std  # [-1, 1] RGB -> ImageNet norm
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in VGG_LAYERS:
                out.append(x)
        return out

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        total = 0.
        for w, f, r in zip(VGG_WEIGHTS, self._feats(fake), self._feats(real)):
            total = total + w * F.l1_loss(f, r.detach())
        return total
