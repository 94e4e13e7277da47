"""ganseg_mm: GAN-based augmentation and semi-supervision for MMSegmentation.

Importing the package applies the compat fixes (:mod:`ganseg_mm.compat`) and
registers every component in mmseg's/mmengine's registries. Configs load it
with ``custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)``.
"""
from . import compat
from .version import __version__

compat.apply()

from . import datasetgan, datasets, engine, evaluation, models, synthesis  # noqa: E402,F401,E501

__all__ = [
    '__version__', 'compat', 'datasetgan', 'datasets', 'engine', 'evaluation', 'models',
    'synthesis'
]
