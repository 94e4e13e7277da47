"""DatasetGAN: StyleGAN2 per-pixel features, annotation import, dataset generation.

- :mod:`.slim_stylegan2`: mmagic's StyleGAN2 with a channel cap (CPU demo).
- :mod:`.features`: layer hooks, bounded-memory per-pixel feature gathering.
- :mod:`.annotations`: latent files, PNG/labelme annotation import and checks.
- :mod:`.dataset`, :mod:`.interpreter`: what ``tools/train.py`` trains.
- :mod:`.uncertainty`: majority vote, JS uncertainty, image scores.
"""
from . import slim_stylegan2  # noqa: F401  (registers in mmagic's MODELS)
from .dataset import DatasetGANAnnotationDataset
from .interpreter import DatasetGANInterpreter

__all__ = ['DatasetGANAnnotationDataset', 'DatasetGANInterpreter']
