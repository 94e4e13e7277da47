"""CEGUDiscriminatorHook: the discriminator's in_channels is inferred from the
segmentor's class count when unset, and a wrong explicit value names both."""
import os.path as osp

import pytest
from mmengine.config import Config

from ganseg_mm.engine.hooks import CEGUDiscriminatorHook

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _hook(with_image=False, **disc):
    return CEGUDiscriminatorHook(
        discriminator=dict(type='PixelDiscriminator', base_channels=4, num_convs=1, **disc),
        with_image=with_image)


@pytest.mark.parametrize('disc', [{}, dict(in_channels=None)])
@pytest.mark.parametrize('with_image,expected', [(False, 6), (True, 9)])
def test_unset_in_channels_is_inferred(disc, with_image, expected):
    hook = _hook(with_image, **disc)
    hook.build_discriminator(6, 'cpu')
    assert hook.discriminator.in_channels == expected
    assert hook.discriminator_cfg.get('in_channels') is None  # the config is left as given


def test_explicit_in_channels_that_fits_is_kept():
    hook = _hook(True, in_channels=9)
    hook.build_discriminator(6, 'cpu')
    assert hook.discriminator.in_channels == 9


def test_wrong_explicit_in_channels_names_both_numbers():
    with pytest.raises(ValueError, match=r'^CEGU discriminator in_channels=19, but the '
                       r'segmentor has num_classes=6: set in_channels=6 or leave it unset'):
        _hook(in_channels=19).build_discriminator(6, 'cpu')
    with pytest.raises(ValueError, match=r'in_channels=6, but the segmentor has num_classes=6 '
                       r'\(\+3 image channels\): set in_channels=9'):
        _hook(True, in_channels=6).build_discriminator(6, 'cpu')


def test_base_config_leaves_in_channels_to_the_hook():
    hook_cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/cegu.py')).cegu_hook
    assert hook_cfg.discriminator.in_channels is None
    args = {k: v for k, v in hook_cfg.items() if k != 'type'}
    for with_image, expected in ((False, 6), (True, 9)):  # a 6-class segmentor
        hook = CEGUDiscriminatorHook(**dict(args, with_image=with_image))
        hook.build_discriminator(6, 'cpu')
        assert hook.discriminator.in_channels == expected
