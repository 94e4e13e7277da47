from .cegu_loss import CEGUAdversarialLoss, CEGULoss, cegu_pixel_weights

__all__ = ['CEGUAdversarialLoss', 'CEGULoss', 'cegu_pixel_weights']
