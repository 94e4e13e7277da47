from .cegu_discriminator_hook import CEGUDiscriminatorHook
from .random_state_hook import RandomStateHook

__all__ = ['CEGUDiscriminatorHook', 'RandomStateHook']
