"""Shared fixtures: the project's own tiny demo data and a tiny StyleGAN2, made
once per session."""
import os
import os.path as osp
import shutil

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def tiny_demo_root(tmp_path_factory):
    """12 train / 4 val demo scenes at 128x256 (Cityscapes layout)."""
    from ganseg_mm.demo import generate_demo_cityscapes
    root = str(tmp_path_factory.mktemp('demo') / 'demo_cityscapes')
    generate_demo_cityscapes(root, num_train=12, num_val=4, seed=0)
    return root


@pytest.fixture(scope='session')
def tiny_uda_root(tiny_demo_root, tmp_path_factory):
    """The tiny demo data plus 1/8, 1/4 and 16/300 (DatasetGAN's annotation
    budget on the demo) labeled/unlabeled split files."""
    from ganseg_mm.datasets.splits import make_splits, write_splits
    root = str(tmp_path_factory.mktemp('uda') / 'demo_cityscapes')
    shutil.copytree(tiny_demo_root, root)
    img_dir = osp.join(root, 'leftImg8bit', 'train')
    names = sorted(osp.relpath(osp.join(d, f), img_dir)[:-len('_leftImg8bit.png')]
                   for d, _, fs in os.walk(img_dir) for f in fs
                   if f.endswith('_leftImg8bit.png'))
    write_splits(osp.join(root, 'splits'), make_splits(names, ['1/8', '1/4', '16/300'], seed=0), 0)
    return root


@pytest.fixture
def demo_copy(tiny_demo_root, tmp_path):
    """A private, modifiable copy of the tiny demo data."""
    dst = str(tmp_path / 'demo_copy')
    shutil.copytree(tiny_demo_root, dst)
    return dst


def pytest_configure(config):
    os.environ.setdefault('OMP_NUM_THREADS', '2')


TINY_GAN = """
_base_ = ['mmagic::_base_/models/base_styleganv2.py']
custom_imports = dict(imports=['ganseg_mm', 'ganseg_mm.models.editors'],
                      allow_failed_imports=False)
model = dict(
    generator=dict(type='SlimStyleGAN2Generator', out_size=16, style_channels=16,
                   num_mlps=2, channel_multiplier=1, max_channels=8),
    discriminator=dict(type='SlimStyleGAN2Discriminator', in_size=16, max_channels=8))
"""


@pytest.fixture(scope='session')
def tiny_gan(tmp_path_factory):
    """(config path, checkpoint path) of a seeded, untrained 16 px generator
    saved like mmagic's checkpoints (generator + generator_ema)."""
    import ganseg_mm.models.editors  # noqa: F401  (registers the slim StyleGAN2)
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
