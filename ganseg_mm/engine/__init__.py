"""Hooks and loops registered in mmengine's HOOKS/LOOPS (mmseg's engine layout)."""
from .hooks import RandomStateHook

__all__ = ['RandomStateHook']
