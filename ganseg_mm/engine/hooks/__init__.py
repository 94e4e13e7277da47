"""Hooks. The CEGU, DatasetGAN member early-stopping, random-state and UDA
teacher hooks (mmengine's HOOKS) are registered here; ``Pix2PixHDSampleGridHook``
(mmagic's HOOKS) by :mod:`ganseg_mm.models.editors`, so that mmagic is imported
only by GAN users."""
from .cegu_discriminator_hook import CEGUDiscriminatorHook
from .member_early_stopping_hook import MemberEarlyStoppingHook
from .random_state_hook import RandomStateHook
from .uda_teacher_hook import UDATeacherHook

__all__ = ['CEGUDiscriminatorHook', 'MemberEarlyStoppingHook', 'RandomStateHook',
           'UDATeacherHook']
