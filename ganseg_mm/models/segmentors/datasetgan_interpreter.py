"""DatasetGAN's interpreter model (Zhang et al., CVPR 2021), trained by mmengine's
Runner (``tools/train.py``).

Each iteration synthesizes the batch's annotated images again from their
latents (frozen generator, fixed noise), samples ``pixels_per_image`` labelled
pixels per image and gathers their features at the layers' native resolutions
(:func:`gather_features`), so nothing of size ``H x W x D`` is ever held: peak
memory is one batch of layer maps plus the sampled features. Validation
predicts whole images in chunks and reports mmseg's IoUMetric of the vote,
plus each member's labels, which
:class:`ganseg_mm.engine.hooks.MemberEarlyStoppingHook` scores.
"""
from __future__ import annotations

import torch
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ganseg_mm.models.utils.stylegan2_features import (check_layers, gather_features,
                                                       layer_channels, synthesize)
from ganseg_mm.utils.errors import ConfigError
from ganseg_mm.utils.gan import load_generator, to_uint8


@MODELS.register_module()
class DatasetGANInterpreter(BaseModel):
    """Frozen StyleGAN2 generator + :class:`DatasetGANInterpreterHead`.

    Args:
        gan_config (str): mmagic GAN config whose ``model.generator`` is built.
        gan_checkpoint (str, optional): mmagic checkpoint of that GAN. None
            when the weights come from an interpreter checkpoint loaded later
            (the generator is part of this model's state dict, so an
            interpreter checkpoint is self-contained).
        head (dict): ``DatasetGANInterpreterHead`` config; ``in_channels`` is
            filled in from the selected layers.
        layers (list[int], optional): Indices of the synthesis layers used
            (0 = ``conv1``, then ``convs[0]``, ``convs[1]``, ...); None = all.
        pixels_per_image (int): Labelled pixels sampled per image and
            iteration. Defaults to 4096.
        predict_chunk (int): Pixels classified at once when predicting whole
            images (bounds memory). Defaults to 16384.
        use_ema (bool): Load the EMA generator when the checkpoint has one.
            Defaults to True.
        data_preprocessor (dict, optional): mmengine data preprocessor config.
        init_cfg (dict, optional): mmengine initialization config.
    """

    def __init__(self, gan_config, head, gan_checkpoint=None, layers=None,
                 pixels_per_image=4096, predict_chunk=16384, use_ema=True,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for name, v in (('pixels_per_image', pixels_per_image),
                        ('predict_chunk', predict_chunk)):
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f'{name} must be a positive int, got {v!r}')
        prefixes = (['generator_ema.module.'] if use_ema else []) + ['generator.']
        self.generator = load_generator(gan_config, gan_checkpoint, prefixes)
        self.layers = check_layers(layers, 1 + len(self.generator.convs))
        self.out_size = self.generator.out_size
        self.style_channels = self.generator.style_channels
        head = dict(head)
        head.setdefault('in_channels', sum(layer_channels(self.generator, self.layers)))
        self.head = MODELS.build(head)
        self.pixels_per_image = pixels_per_image
        self.predict_chunk = predict_chunk

    def train(self, mode=True):
        # the generator stays in eval mode (frozen; mmagic's train() would also
        # log a style-mode switch at every iteration, when mmengine calls this)
        self.training = mode
        for name, child in self.named_children():
            if name != 'generator':
                child.train(mode)
        return self

    def check_latents(self, w: torch.Tensor, source: str = 'latents') -> None:
        """Raise ValueError if ``w`` is not ``(B, style_channels)``."""
        if w.dim() != 2 or w.shape[1] != self.style_channels:
            raise ValueError(f'{source}: latents of shape {tuple(w.shape)} do not match the '
                             f'generator (style_channels={self.style_channels})')

    def _sample_pixels(self, gt: torch.Tensor) -> torch.Tensor:
        valid = (gt != self.head.ignore_index).flatten().nonzero()[:, 0]
        if valid.numel() > self.pixels_per_image:
            pick = torch.randint(valid.numel(), (self.pixels_per_image,), device=gt.device)
            valid = valid[pick]
        return torch.stack([valid // gt.shape[1], valid % gt.shape[1]], dim=1)

    def forward(self, w, gt=None, index=None, mode='tensor'):
        """``mode='loss'``: losses on sampled pixels; ``'predict'``: SegDataSamples
        with ``pred_sem_seg``, ``js_uncertainty``, ``member_sem_seg`` (each
        member's labels, for per-member early stopping) and ``gt_sem_seg``;
        ``'tensor'``: (labels, js) of shape ``(B, S, S)``."""
        self.check_latents(w)
        img, maps = synthesize(self.generator, w, self.layers)
        if mode == 'loss':
            feats, labels = [], []
            for b in range(w.shape[0]):
                coords = self._sample_pixels(gt[b])
                feats.append(gather_features(maps, coords, self.out_size, b))
                labels.append(gt[b][coords[:, 0], coords[:, 1]])
            return self.head.loss(torch.cat(feats), torch.cat(labels).long())
        if mode == 'tensor':
            return self.predict_maps(maps)
        labels, js, members = self.predict_maps(maps, return_members=True)
        out = []
        for b in range(w.shape[0]):
            ds = SegDataSample(pred_sem_seg=PixelData(data=labels[b][None]),
                               js_uncertainty=PixelData(data=js[b][None]),
                               member_sem_seg=PixelData(data=members[b]))
            if gt is not None:
                ds.gt_sem_seg = PixelData(data=gt[b][None].long())
            out.append(ds)
        return out

    @torch.no_grad()
    def predict_maps(self, maps, return_members: bool = False):
        """Majority-vote labels and JS uncertainty of every pixel, in chunks;
        with ``return_members`` also each member's labels ``(B, members, S, S)``."""
        s, n, dev = self.out_size, maps[0].shape[0], maps[0].device
        yy, xx = torch.meshgrid(torch.arange(s), torch.arange(s), indexing='ij')
        coords = torch.stack([yy.flatten(), xx.flatten()], 1).to(dev)
        labels = torch.empty(n, s * s, dtype=torch.long, device=dev)
        js = torch.empty(n, s * s, device=dev)
        if return_members:  # (B, members, S*S): only when asked (validation)
            members = torch.empty(n, self.head.num_members, s * s, dtype=torch.long,
                                  device=dev)
        for b in range(n):
            for i in range(0, s * s, self.predict_chunk):
                c = coords[i:i + self.predict_chunk]
                out = self.head.predict(gather_features(maps, c, s, b), return_members)
                labels[b, i:i + len(c)], js[b, i:i + len(c)] = out[:2]
                if return_members:
                    members[b, :, i:i + len(c)] = out[2]
        out = labels.view(n, s, s), js.view(n, s, s)
        return out + (members.view(n, -1, s, s),) if return_members else out

    @torch.no_grad()
    def label_latents(self, w: torch.Tensor):
        """Image (uint8 numpy ``(B, S, S, 3)`` in the generator's BGR order, see
        :func:`ganseg_mm.utils.gan.to_uint8`), labels and JS maps."""
        self.check_latents(w)
        img, maps = synthesize(self.generator, w, self.layers)
        labels, js = self.predict_maps(maps)
        return to_uint8(img), labels, js
