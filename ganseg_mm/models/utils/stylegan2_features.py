"""Per-pixel StyleGAN2 features with memory bounded by the sampled pixels.

DatasetGAN's per-pixel feature is every synthesis layer's output, bilinearly
upsampled to the image size and concatenated (``upsample_features``: the
naive way of nv-tlabs/datasetGAN_release, ``H x W x D`` floats per image).
``gather_features`` gives the same vectors for chosen pixels only, by bilinear
sampling each layer at its native resolution (``grid_sample`` at the pixel centres, border padding =
``F.interpolate(mode='bilinear', align_corners=False)`` then indexing), so
memory grows with the number of sampled pixels, not with ``H x W x D``.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F


def synthesis_layers(generator) -> list:
    """The hooked modules of mmagic's StyleGAN2 generator, coarse to fine:
    ``conv1`` (4 px) then both ``convs`` of every block (two maps per block)."""
    return [generator.conv1] + list(generator.convs)


def layer_channels(generator, layers=None) -> list:
    """Output channels of the selected synthesis layers."""
    mods = synthesis_layers(generator)
    idx = check_layers(layers, len(mods))
    return [mods[i].conv.out_channels for i in idx]


def check_layers(layers, num_layers: int) -> list:
    """``layers`` (None = all) as a list of valid indices; bad values raise."""
    if layers is None:
        return list(range(num_layers))
    layers = list(layers)
    bad = [i for i in layers if not isinstance(i, int) or not 0 <= i < num_layers]
    if bad or not layers or len(set(layers)) != len(layers):
        raise ValueError(f'layers must be distinct indices in [0, {num_layers}), got {layers}')
    return layers


@contextmanager
def capture_layers(generator, layers=None):
    """Collect the selected synthesis layers' outputs with forward hooks.

    Yields a list that holds, after a generator forward, one ``(B, C, h, w)``
    map per selected layer at its native resolution.
    """
    mods = synthesis_layers(generator)
    maps: list = []
    hooks = [mods[i].register_forward_hook(lambda m, i_, out: maps.append(out))
             for i in check_layers(layers, len(mods))]
    try:
        yield maps
    finally:
        for h in hooks:
            h.remove()


@torch.no_grad()
def synthesize(generator, w: torch.Tensor, layers=None):
    """Image in [-1, 1] ``(B, 3, S, S)`` and the selected layer maps for
    W-space latents ``w`` ``(B, style_channels)``; fixed (buffered) noise, so
    the same ``w`` always gives the same image and features."""
    with capture_layers(generator, layers) as maps:
        img = generator(w, input_is_latent=True, randomize_noise=False)
    return img, list(maps)


def pixel_grid(coords: torch.Tensor, size: int) -> torch.Tensor:
    """Normalized ``grid_sample`` coordinates of pixel centres ``(N, 2)`` (y, x)."""
    yx = (coords.float() + 0.5) * (2.0 / size) - 1.0
    return yx.flip(-1).view(1, 1, -1, 2)  # grid_sample wants (x, y)


def gather_features(maps: list, coords: torch.Tensor, size: int, b: int = 0) -> torch.Tensor:
    """Features ``(N, D)`` of image ``b`` at pixels ``coords`` ``(N, 2)`` (row, col)
    of the ``size x size`` output, equal to ``upsample_features`` indexed there."""
    grid = pixel_grid(coords, size).to(maps[0].device)
    out = [F.grid_sample(m[b:b + 1].float(), grid, mode='bilinear', padding_mode='border',
                         align_corners=False)[0, :, 0].t() for m in maps]
    return torch.cat(out, dim=1)


def upsample_features(maps: list, size: int, b: int = 0) -> torch.Tensor:
    """The naive per-pixel features (datasetGAN_release) ``(size*size, D)`` of image ``b``."""
    ups = [F.interpolate(m[b:b + 1].float(), size=(size, size), mode='bilinear',
                         align_corners=False) for m in maps]
    return torch.cat(ups, dim=1)[0].flatten(1).t()
