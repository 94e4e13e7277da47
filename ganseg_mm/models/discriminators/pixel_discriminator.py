"""``PixelDiscriminator``: a fully convolutional discriminator of label maps."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS

from ganseg_mm.utils.errors import ConfigError


@MODELS.register_module()
class PixelDiscriminator(nn.Module):
    """Tells ground-truth label maps from predicted ones, per pixel.

    AdvSemiSeg's design: ``num_convs`` 4x4 stride-2 convolutions with
    LeakyReLU, channels doubling from ``base_channels``, then a 4x4 stride-2
    convolution to one channel; the logit map is upsampled (bilinear) back to
    the input size, so every pixel gets a real/fake logit.

    Input: ``(N, in_channels, H, W)``, the softmax of a prediction or the
    one-hot ground truth (optionally concatenated with the image).
    Output: ``(N, 1, H, W)`` logits, positive = "looks like ground truth".

    Args:
        in_channels (int): Channels of the encoded map: ``num_classes``, plus 3
            when the hook concatenates the image.
        base_channels (int): Channels of the first conv. Defaults to 64.
        num_convs (int): Strided convs before the output conv. Defaults to 4
            (64-128-256-512-1 as in AdvSemiSeg).
        negative_slope (float): LeakyReLU slope. Defaults to 0.2.
        input_downsample (int): Average-pool the input by this factor first.
            A full-resolution discriminator costs a large fraction of a
            DeepLabV3 step at 512x1024; 4 keeps the overhead small. Defaults to 1.
    """

    def __init__(self,
                 in_channels: int,
                 base_channels: int = 64,
                 num_convs: int = 4,
                 negative_slope: float = 0.2,
                 input_downsample: int = 1):
        super().__init__()
        if in_channels < 1 or num_convs < 1 or input_downsample < 1:
            raise ConfigError(
                f'in_channels ({in_channels}), num_convs ({num_convs}) and '
                f'input_downsample ({input_downsample}) must be positive')
        self.in_channels = in_channels
        self.input_downsample = input_downsample
        layers, c_in = [], in_channels
        for i in range(num_convs):
            c_out = base_channels * 2**i
            layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1),
                       nn.LeakyReLU(negative_slope, inplace=True)]
            c_in = c_out
        layers.append(nn.Conv2d(c_in, 1, 4, stride=2, padding=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'{self.__class__.__name__} expects (N, {self.in_channels}, '
                             f'H, W) input, got {tuple(x.shape)}')
        size = x.shape[2:]
        need = self.input_downsample * 2**(len(self.layers) // 2 + 1)
        if min(size) < need:
            raise ValueError(f'{self.__class__.__name__} with input_downsample='
                             f'{self.input_downsample} needs inputs of at least {need}x{need} '
                             f'pixels, got {size[0]}x{size[1]}')
        if self.input_downsample > 1:
            x = F.avg_pool2d(x, self.input_downsample, ceil_mode=True)
        out = self.layers(x)  # (N, 1, H / 2^(num_convs+1), ...)
        return F.interpolate(out, size=size, mode='bilinear', align_corners=False)
