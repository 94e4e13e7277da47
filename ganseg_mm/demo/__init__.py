"""The embedded demo data: procedural street scenes in the Cityscapes layout.

Not imported by ``import ganseg_mm``: only ``tools/make_demo_data.py``, the
demo runner, the tests and the benchmarks need it.
"""
from .data import generate_demo_cityscapes

__all__ = ['generate_demo_cityscapes']
