"""GAN networks and models registered in mmagic's MODELS (mmagic's ``editors/`` layout)."""
from . import pix2pixhd  # noqa: F401  (registers)
