"""mmagic's StyleGAN2 generator/discriminator with a channel cap, for CPU demos.

mmagic hard-codes 512 channels at 4-32 px (``channel_multiplier`` only scales
64 px and up), which makes even a 64 px StyleGAN2 take seconds per iteration on
CPU. These subclasses rebuild the same layers with every width capped at
``max_channels``; ``forward`` and everything else is mmagic's, so the feature
hooks of :mod:`ganseg_mm.models.utils.stylegan2_features` see the same modules
(``conv1``, ``convs[i]``). With ``max_channels=512`` they equal mmagic's.
"""
import numpy as np
import torch.nn as nn
from mmagic.models.editors.stylegan1 import ConstantInput, EqualLinearActModule
from mmagic.models.editors.stylegan2 import ADAStyleGAN2Discriminator, StyleGAN2Generator
from mmagic.models.editors.stylegan2.stylegan2_modules import (ConvDownLayer,
                                                               ModulatedStyleConv,
                                                               ModulatedToRGB, ResBlock)
from mmagic.registry import MODELS

from ganseg_mm.utils.errors import ConfigError


def _check_cap(max_channels):
    if not isinstance(max_channels, int) or max_channels < 1:
        raise ConfigError(f'max_channels must be a positive int, got {max_channels!r}')


@MODELS.register_module()
class SlimStyleGAN2Generator(StyleGAN2Generator):
    """mmagic's ``StyleGANv2Generator`` with at most ``max_channels`` channels.

    Args:
        max_channels (int): Cap on every synthesis layer's width (mmagic: 512).
        **kwargs: mmagic's ``StyleGANv2Generator`` arguments (``out_size``,
            ``style_channels``, ``num_mlps``, ``channel_multiplier``, ...);
            fp16 options are not supported here.
    """

    def __init__(self, max_channels=128, **kwargs):
        _check_cap(max_channels)
        super().__init__(**kwargs)
        self.max_channels = max_channels
        self.channels = {k: min(v, max_channels) for k, v in self.channels.items()}
        ch, style, blur = self.channels, self.style_channels, kwargs.get(
            'blur_kernel', [1, 3, 3, 1])
        self.constant_input = ConstantInput(ch[4])
        self.conv1 = ModulatedStyleConv(ch[4], ch[4], 3, style, blur_kernel=blur)
        self.to_rgb1 = ModulatedToRGB(ch[4], style, out_channels=self.out_channels,
                                      upsample=False)
        self.convs, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        c_in = ch[4]
        for i in range(3, self.log_size + 1):
            c_out = ch[2**i]
            self.convs.append(ModulatedStyleConv(c_in, c_out, 3, style, upsample=True,
                                                 blur_kernel=blur))
            self.convs.append(ModulatedStyleConv(c_out, c_out, 3, style, upsample=False,
                                                 blur_kernel=blur))
            self.to_rgbs.append(ModulatedToRGB(c_out, style, out_channels=self.out_channels,
                                               upsample=True))
            c_in = c_out


@MODELS.register_module()
class SlimStyleGAN2Discriminator(ADAStyleGAN2Discriminator):
    """mmagic's ``ADAStyleGAN2Discriminator`` with at most ``max_channels``
    channels: without ``data_aug`` it is mmagic's ``StyleGAN2Discriminator``;
    with ``data_aug=dict(type='ADAAug', ...)`` the reals and fakes it sees
    are augmented with the adaptive probability of StyleGAN2-ADA (Karras et
    al., NeurIPS 2020), which mmagic's ``StyleGAN2`` model updates.

    Args:
        in_size (int): Input image size (square).
        max_channels (int): Cap on every layer's width (mmagic: 512).
        channel_multiplier (int): As in mmagic. Defaults to 2.
        blur_kernel (list[int]): As in mmagic. Defaults to [1, 3, 3, 1].
        mbstd_cfg (dict): As in mmagic.
        **kwargs: Other mmagic arguments (``data_aug``; unconditional, fp32
            only).
    """

    def __init__(self, in_size, max_channels=128, channel_multiplier=2,
                 blur_kernel=(1, 3, 3, 1), mbstd_cfg=dict(group_size=4, channel_groups=1),
                 **kwargs):
        _check_cap(max_channels)
        blur_kernel = list(blur_kernel)
        super().__init__(in_size, channel_multiplier=channel_multiplier,
                         blur_kernel=blur_kernel, mbstd_cfg=mbstd_cfg, **kwargs)
        ch = {2**i: min(max_channels, 512 if i <= 5 else 2**(14 - i) * channel_multiplier)
              for i in range(2, 11)}
        log_size = int(np.log2(in_size))
        convs = [ConvDownLayer(3, ch[in_size], 1)]
        c_in = ch[in_size]
        for i in range(log_size, 2, -1):
            convs.append(ResBlock(c_in, ch[2**(i - 1)], blur_kernel))
            c_in = ch[2**(i - 1)]
        self.convs = nn.Sequential(*convs)
        self.final_conv = ConvDownLayer(c_in + 1, ch[4], 3)
        self.final_linear = nn.Sequential(
            EqualLinearActModule(ch[4] * 4 * 4, ch[4], act_cfg=dict(type='fused_bias')),
            EqualLinearActModule(ch[4], 1))
