"""Train loops registered in mmengine's LOOPS (mmseg's ``engine/runner`` layout)."""
from . import uda_train_loop  # noqa: F401  (registers)
