"""Hooks and loops registered in mmengine's HOOKS/LOOPS (mmseg's engine layout)."""
from . import runner  # noqa: F401  (registers)
from .hooks import CEGUDiscriminatorHook, RandomStateHook

__all__ = ['CEGUDiscriminatorHook', 'RandomStateHook']
