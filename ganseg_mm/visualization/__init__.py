"""Colouring of label and value maps for pictures sent to mmengine's visualizer."""
from .maps import cityscapes_palette, label_to_colour, value_to_colour

__all__ = ['cityscapes_palette', 'label_to_colour', 'value_to_colour']
