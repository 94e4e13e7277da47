"""Bounded-memory feature gathering equals datasetGAN_release's upsample-then-index."""
import pytest
import torch

from ganseg_mm.models.utils.stylegan2_features import (capture_layers, check_layers,
                                                       gather_features, layer_channels,
                                                       synthesize, upsample_features)
from ganseg_mm.utils.gan import load_generator
from ganseg_mm.utils.errors import DataValidationError


@pytest.mark.parametrize('size', [16, 24])
def test_gather_equals_upsample_then_index(size):
    torch.manual_seed(0)
    maps = [torch.randn(2, 3, 4, 4), torch.randn(2, 5, 8, 8), torch.randn(2, 2, size, size)]
    naive = upsample_features(maps, size, b=1)  # (size*size, 10)
    coords = torch.randint(0, size, (200, 2))
    ours = gather_features(maps, coords, size, b=1)
    assert ours.shape == (200, 10)
    torch.testing.assert_close(ours, naive[coords[:, 0] * size + coords[:, 1]],
                               atol=1e-5, rtol=1e-5)


def test_hooks_capture_every_synthesis_layer(tiny_gan):
    gen = load_generator(*tiny_gan)
    w = gen.style_mapping(torch.randn(2, 16))
    img, maps = synthesize(gen, w)
    # 16 px: conv1 (4 px) + two convs per block at 8 and 16 px
    assert [m.shape[-1] for m in maps] == [4, 8, 8, 16, 16]
    assert img.shape == (2, 3, 16, 16)
    assert layer_channels(gen) == [8] * 5
    _, sel = synthesize(gen, w, layers=[0, 4])
    assert [m.shape[-1] for m in sel] == [4, 16]
    img2, _ = synthesize(gen, w)
    torch.testing.assert_close(img, img2)  # fixed noise: same latent, same image
    with capture_layers(gen, [1]) as got:
        pass
    assert got == [] and not gen.convs[0]._forward_hooks  # hooks removed


@pytest.mark.parametrize('layers', [[], [5], [0, 0], [-1]])
def test_bad_layer_selection(layers):
    with pytest.raises(ValueError, match='layers must be'):
        check_layers(layers, 5)


def test_generator_checkpoint_errors(tiny_gan, tmp_path):
    cfg, _ = tiny_gan
    with pytest.raises(DataValidationError, match='checkpoint not found'):
        load_generator(cfg, str(tmp_path / 'missing.pth'))
    bad = str(tmp_path / 'bad.pth')
    torch.save(dict(state_dict={'generator.conv1.bias': torch.zeros(3)}), bad)
    with pytest.raises(DataValidationError, match='does not fit the generator'):
        load_generator(cfg, bad)
    torch.save(dict(state_dict={'segmentor.w': torch.zeros(3)}), bad)
    with pytest.raises(DataValidationError, match='no generator weights'):
        load_generator(cfg, bad)


def test_slim_generator_caps_widths(tiny_gan):
    gen = load_generator(*tiny_gan)
    assert max(gen.channels.values()) == 8
    assert gen.conv1.conv.out_channels == 8
    with pytest.raises(ValueError, match='max_channels'):
        from ganseg_mm.models.editors.stylegan2.slim_stylegan2 import SlimStyleGAN2Generator
        SlimStyleGAN2Generator(max_channels=0, out_size=16, style_channels=16)
