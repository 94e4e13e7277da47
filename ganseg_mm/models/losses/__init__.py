from .cegu_loss import CEGUAdversarialLoss, CEGULoss, cegu_pixel_weights
from .uda_loss import tsa_mask_labels, tsa_threshold, uda_consistency_loss

__all__ = [
    'CEGUAdversarialLoss', 'CEGULoss', 'cegu_pixel_weights', 'tsa_mask_labels',
    'tsa_threshold', 'uda_consistency_loss'
]
