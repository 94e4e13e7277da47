import pytest
import torch

from ganseg_mm.models import PixelDiscriminator


@pytest.mark.parametrize('down', [1, 4])
def test_output_is_a_logit_per_input_pixel(down):
    d = PixelDiscriminator(in_channels=19, base_channels=8, input_downsample=down)
    out = d(torch.rand(2, 19, 128, 256))
    assert out.shape == (2, 1, 128, 256)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64, 1]
    assert all(c.stride == (2, 2) and c.kernel_size == (4, 4) for c in convs)


def test_channel_mismatch_is_a_clear_error():
    d = PixelDiscriminator(in_channels=19)
    with pytest.raises(ValueError, match=r'expects \(N, 19, H, W\) input, got \(1, 20, 64, 64\)'):
        d(torch.rand(1, 20, 64, 64))
    with pytest.raises(ValueError, match='must be positive'):
        PixelDiscriminator(in_channels=0)


def test_too_small_input_is_a_clear_error():
    d = PixelDiscriminator(in_channels=3, input_downsample=4)
    assert d(torch.rand(1, 3, 128, 128)).shape == (1, 1, 128, 128)
    with pytest.raises(ValueError, match='at least 128x128 pixels, got 64x128'):
        d(torch.rand(1, 3, 64, 128))
