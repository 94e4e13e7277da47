"""pix2pixHD's data preprocessor (registered in mmagic's MODELS)."""
from __future__ import annotations

import torch
from mmengine.model import BaseDataPreprocessor

from mmagic.registry import MODELS

from ganseg_mm.utils.gan import make_condition


@MODELS.register_module()
class Pix2PixHDDataPreprocessor(BaseDataPreprocessor):
    """Stacks a batch, scales images to [-1, 1] and builds the condition map.

    Output ``inputs``: ``img`` (N, 3, H, W) float and ``cond``
    (N, num_classes + 1 + use_instance, H, W).

    Args:
        num_classes (int): Number of trainId classes.
        use_instance (bool): Add the instance-boundary channel. Defaults to True.
        ignore_index (int): Label of unlabelled pixels. Defaults to 255.
    """

    def __init__(self, num_classes: int, use_instance: bool = True, ignore_index: int = 255):
        super().__init__()
        self.num_classes = num_classes
        self.use_instance = use_instance
        self.ignore_index = ignore_index

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, dict):
            inputs = [dict(zip(inputs, vals)) for vals in zip(*inputs.values())]
        label = torch.stack([x['label'][0] for x in inputs])
        edge = torch.stack([x['edge'][0] for x in inputs])
        samples = data.get('data_samples')
        cond = make_condition(label, edge, self.num_classes, self.ignore_index,
                              self.use_instance, source=_sources(samples, len(label)))
        out = dict(cond=cond, label=label)
        if 'img' in inputs[0]:
            out['img'] = torch.stack([x['img'] for x in inputs]).float() / 127.5 - 1.
        return dict(inputs=out, data_samples=samples)


def _sources(samples, n: int) -> list:
    """What names each map of a batch in an error: its label file, else its place."""
    metas = [s.metainfo for s in samples] if samples else [{}] * n
    return [str(m.get('seg_map_path', f'label map {i} of the batch'))
            for i, m in enumerate(metas)]
