"""Hooks and loops registered in mmengine's HOOKS/LOOPS (mmseg's engine layout)."""
from .hooks import CEGUDiscriminatorHook, RandomStateHook
from .runner import UDAIterBasedTrainLoop

__all__ = ['CEGUDiscriminatorHook', 'RandomStateHook', 'UDAIterBasedTrainLoop']
