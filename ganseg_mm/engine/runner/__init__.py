"""Train loops registered in mmengine's LOOPS (mmseg's ``engine/runner`` layout)."""
from .uda_train_loop import UDAIterBasedTrainLoop

__all__ = ['UDAIterBasedTrainLoop']
