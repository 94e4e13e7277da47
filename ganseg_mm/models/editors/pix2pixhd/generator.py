"""pix2pixHD's global generator (Wang et al. 2018, NVIDIA/pix2pixHD ``GlobalGenerator``)."""
from __future__ import annotations

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmagic.registry import MODELS

from ganseg_mm.utils.errors import ConfigError


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == 'IN':
        return nn.InstanceNorm2d(channels, affine=False)
    if kind == 'BN':
        return nn.BatchNorm2d(channels)
    raise ConfigError(f'norm must be "IN" or "BN", got {kind!r}')


class ResnetBlock(nn.Module):
    """Two reflection-padded 3x3 convs with a residual connection."""

    def __init__(self, channels: int, norm: str):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(norm, channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), _norm(norm, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


@MODELS.register_module()
class Pix2PixHDGenerator(BaseModule):
    """Global generator: c7s1-ngf, n_downsampling x d(2k), n_blocks x R, u(k/2), c7s1-3.

    Input is the condition map built by :class:`Pix2PixHDDataPreprocessor`:
    one-hot trainIds (``num_classes`` channels), one "ignore" channel and,
    with ``use_instance``, one instance-boundary channel. Output is an RGB
    image in [-1, 1] (tanh). The output size equals the input size, which must
    be divisible by ``2 ** n_downsampling``.

    Args:
        num_classes (int): Number of trainId classes (19 for Cityscapes).
        use_instance (bool): Expect the instance-boundary channel. Defaults to True.
        out_channels (int): Image channels. Defaults to 3.
        base_channels (int): ``ngf``, width of the first layer. Defaults to 64.
        n_downsampling (int): Stride-2 stages. Defaults to 4 (pix2pixHD global).
        n_blocks (int): Residual blocks at the bottleneck. Defaults to 9.
        max_channels (int): Width cap of the deeper layers. Defaults to 1024.
        first_kernel (int): Kernel of the first/last conv (7 in pix2pixHD; 3 is
            cheaper on CPU). Defaults to 7.
        norm (str): 'IN' (instance norm, pix2pixHD) or 'BN'. Defaults to 'IN'.
        init_cfg (dict, optional): mmengine init config. Defaults to normal(0, 0.02).
    """

    def __init__(self,
                 num_classes: int,
                 use_instance: bool = True,
                 out_channels: int = 3,
                 base_channels: int = 64,
                 n_downsampling: int = 4,
                 n_blocks: int = 9,
                 max_channels: int = 1024,
                 first_kernel: int = 7,
                 norm: str = 'IN',
                 init_cfg: dict | None = dict(type='Normal', layer='Conv2d', std=0.02)):
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ConfigError(f'num_classes must be >= 1, got {num_classes}')
        if first_kernel % 2 != 1:
            raise ConfigError(f'first_kernel must be odd, got {first_kernel}')
        self.num_classes = num_classes
        self.use_instance = use_instance
        self.in_channels = num_classes + 1 + int(use_instance)  # + ignore + boundary
        self.n_downsampling = n_downsampling
        pad = first_kernel // 2
        ch = base_channels
        layers = [nn.ReflectionPad2d(pad), nn.Conv2d(self.in_channels, ch, first_kernel),
                  _norm(norm, ch), nn.ReLU(True)]
        widths = [ch]
        for _ in range(n_downsampling):
            nxt = min(ch * 2, max_channels)
            layers += [nn.Conv2d(ch, nxt, 3, stride=2, padding=1), _norm(norm, nxt),
                       nn.ReLU(True)]
            ch = nxt
            widths.append(ch)
        layers += [ResnetBlock(ch, norm) for _ in range(n_blocks)]
        for prev in reversed(widths[:-1]):
            layers += [nn.ConvTranspose2d(ch, prev, 3, stride=2, padding=1, output_padding=1),
                       _norm(norm, prev), nn.ReLU(True)]
            ch = prev
        layers += [nn.ReflectionPad2d(pad), nn.Conv2d(ch, out_channels, first_kernel), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        """(N, in_channels, H, W) condition -> (N, out_channels, H, W) image in [-1, 1]."""
        if cond.dim() != 4 or cond.shape[1] != self.in_channels:
            raise ValueError(f'expected (N, {self.in_channels}, H, W) condition '
                             f'(num_classes={self.num_classes}, use_instance='
                             f'{self.use_instance}), got {tuple(cond.shape)}')
        f = 2 ** self.n_downsampling
        if cond.shape[2] % f or cond.shape[3] % f:
            raise ValueError(f'input size {tuple(cond.shape[2:])} must be divisible by {f}')
        return self.model(cond)
