"""pix2pixHD's multi-scale PatchGAN discriminator (``MultiscaleDiscriminator``)."""
from __future__ import annotations

from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmagic.registry import MODELS

from ganseg_mm.utils.errors import ConfigError


class NLayerDiscriminator(nn.Module):
    """PatchGAN: 4x4 convs, stride 2 for the first ``n_layers``; returns every feature."""

    def __init__(self, in_channels: int, base_channels: int, n_layers: int,
                 max_channels: int, norm: str):
        super().__init__()
        blocks = [nn.Sequential(nn.Conv2d(in_channels, base_channels, 4, 2, 2),
                                nn.LeakyReLU(0.2, True))]
        ch = base_channels
        for i in range(1, n_layers + 1):
            nxt = min(ch * 2, max_channels)
            stride = 2 if i < n_layers else 1
            norm_layer = nn.InstanceNorm2d(nxt) if norm == 'IN' else nn.BatchNorm2d(nxt)
            blocks.append(nn.Sequential(nn.Conv2d(ch, nxt, 4, stride, 2), norm_layer,
                                        nn.LeakyReLU(0.2, True)))
            ch = nxt
        blocks.append(nn.Sequential(nn.Conv2d(ch, 1, 4, 1, 2)))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return feats  # last entry: the patch logits (N, 1, h, w)


@MODELS.register_module()
class Pix2PixHDDiscriminator(BaseModule):
    """``num_scales`` PatchGANs on the input downsampled by 1, 2, 4, ...

    The input is the condition map concatenated with an RGB image (real or
    fake), so ``in_channels = num_classes + 1 + use_instance + 3``.

    Args:
        in_channels (int): Channels of condition + image.
        base_channels (int): ``ndf``, width of the first layer. Defaults to 64.
        n_layers (int): Strided layers per PatchGAN. Defaults to 3.
        num_scales (int): Number of PatchGANs (2 at 512p, 3 at 1024p). Defaults to 2.
        max_channels (int): Width cap. Defaults to 512.
        norm (str): 'IN' or 'BN'. Defaults to 'IN'.
        init_cfg (dict, optional): mmengine init config. Defaults to normal(0, 0.02).
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int = 64,
                 n_layers: int = 3,
                 num_scales: int = 2,
                 max_channels: int = 512,
                 norm: str = 'IN',
                 init_cfg: dict | None = dict(type='Normal', layer='Conv2d', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        if num_scales < 1 or n_layers < 1:
            raise ConfigError(f'num_scales and n_layers must be >= 1, got '
                              f'{num_scales}, {n_layers}')
        if norm not in ('IN', 'BN'):
            raise ConfigError(f'norm must be "IN" or "BN", got {norm!r}')
        self.in_channels = in_channels
        self.nets = nn.ModuleList(
            NLayerDiscriminator(in_channels, base_channels, n_layers, max_channels, norm)
            for _ in range(num_scales))

    def forward(self, x: torch.Tensor) -> List[List[torch.Tensor]]:
        """Returns, per scale (full resolution first), the list of layer features."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'expected (N, {self.in_channels}, H, W), got {tuple(x.shape)}')
        outs = []
        for i, net in enumerate(self.nets):
            if i:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outs.append(net(x))
        return outs
