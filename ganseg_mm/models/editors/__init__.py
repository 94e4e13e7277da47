"""GAN networks registered in mmagic's MODELS (mmagic's ``editors/`` layout).

Importing this package imports mmagic and registers everything the project
puts in mmagic's registries: the networks here, pix2pixHD's data preprocessor
(``models/data_preprocessors``) and its sample-grid hook (``engine/hooks``),
which sit in the folders of their kind. GAN configs load it with
``custom_imports = dict(imports=['ganseg_mm', 'ganseg_mm.models.editors'])``.
"""
from ganseg_mm.engine.hooks import pix2pixhd_sample_grid_hook  # noqa: F401  (registers)
from ganseg_mm.models.data_preprocessors import pix2pixhd_data_preprocessor  # noqa: F401
from . import pix2pixhd, stylegan2  # noqa: F401  (registers)
