"""A tiny StyleGAN2 (16 px, 8 channels) config + checkpoint for DatasetGAN tests."""
import os.path as osp

import pytest
import torch

TINY_GAN = """
_base_ = ['mmagic::_base_/models/base_styleganv2.py']
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
model = dict(
    generator=dict(type='SlimStyleGAN2Generator', out_size=16, style_channels=16,
                   num_mlps=2, channel_multiplier=1, max_channels=8),
    discriminator=dict(type='SlimStyleGAN2Discriminator', in_size=16, max_channels=8))
"""


@pytest.fixture(scope='session')
def tiny_gan(tmp_path_factory):
    """(config path, checkpoint path) of a seeded, untrained 16 px generator
    saved like mmagic's checkpoints (generator + generator_ema)."""
    import ganseg_mm  # noqa: F401
    from mmagic.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    d = tmp_path_factory.mktemp('tiny_gan')
    cfg_path = str(d / 'tiny_gan.py')
    with open(cfg_path, 'w') as f:
        f.write(TINY_GAN)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmagic'):
        gen = MODELS.build(Config.fromfile(cfg_path).model.generator)
    sd = {}
    for k, v in gen.state_dict().items():
        sd['generator.' + k] = v
        sd['generator_ema.module.' + k] = v
    ckpt = str(d / 'gan.pth')
    torch.save(dict(state_dict=sd, meta=dict()), ckpt)
    assert osp.isfile(ckpt)
    return cfg_path, ckpt
