"""ganseg_mm: GAN-based augmentation and semi-supervision for MMSegmentation.

Importing the package applies the compat fixes (:mod:`ganseg_mm.compat`) and
registers the components that live in mmseg's and mmengine's registries
(datasets, transforms, losses, discriminators, segmentors, hooks, loops,
metrics). Configs load it with
``custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)``.

The GAN networks that live in mmagic's registries (pix2pixHD, the slim
StyleGAN2) are registered by ``ganseg_mm.models.editors``, which GAN configs
import as well; mmagic is not imported otherwise, so CEGU and UDA users never
pay for it. The offline pipelines (:mod:`ganseg_mm.ganaug`,
:mod:`ganseg_mm.datasetgan`) and the demo data (:mod:`ganseg_mm.demo`) are
plain functions imported by the tools that call them.
"""
from . import compat
from .version import __version__

compat.apply()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers)

__all__ = ['__version__', 'compat', 'datasets', 'engine', 'evaluation', 'models']
