"""StyleGAN2-ADA in the DatasetGAN GAN configs: mmagic's adaptive
augmentation reaches the (slim) discriminator of the Cityscapes config, its
probability follows the discriminator's sign heuristic, and the demo's short
run trains without it."""
import os.path as osp

import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import ganseg_mm.models.editors  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
FULL, DEMO = ('configs/datasetgan/stylegan2_512_cityscapes.py',
              'configs/datasetgan/stylegan2_64_demo.py')


def _full_ada(**changes):
    """The Cityscapes config's ADA settings, with ``changes``."""
    return dict(Config.fromfile(osp.join(REPO, FULL)).model.discriminator.data_aug, **changes)


def _disc(config, data_aug='config', size=16):
    """The config's discriminator at ``size`` px; ``data_aug`` replaces its ADA."""
    cfg = Config.fromfile(osp.join(REPO, config)).model.discriminator
    cfg.in_size = size
    if 'max_channels' in cfg:
        cfg.max_channels = 16
    if data_aug != 'config':
        cfg.data_aug = data_aug
    with DefaultScope.overwrite_default_scope('mmagic'):
        return MODELS.build(cfg)


@pytest.mark.parametrize('config,data_aug', [(FULL, 'config'), (DEMO, _full_ada())])
def test_ada_augments_what_the_discriminator_sees(config, data_aug):
    """The Cityscapes config augments; the demo's discriminator takes the same option."""
    torch.manual_seed(0)
    d = _disc(config, data_aug).eval()
    assert d.with_ada
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        assert torch.equal(d(x), d(x))  # p starts at 0: no augmentation
        d.ada_aug.aug_pipeline.p.fill_(1.0)
        assert not torch.allclose(d(x), d(x))  # random augmentations, every call


def _p_after(ada, iters, real_sign, batch=4):
    """mmagic StyleGAN2.train_step's ADA bookkeeping, ``iters`` times."""
    for it in range(iters):
        ada.log_buffer[0] += batch
        ada.log_buffer[1] += real_sign * batch
        ada.update(iteration=it, num_batches=batch)
    return float(ada.aug_pipeline.p)


def test_p_rises_to_1_while_d_overfits_and_stays_0_otherwise():
    iters, batch, fast = 600, 4, _full_ada(ada_kimg=1)
    # D calls every real image real (sign +1 > target 0.6): p climbs; with
    # ada_kimg=1 it reaches 1 within 2,400 images
    assert _p_after(_disc(FULL, fast).ada_aug, iters, +1, batch) >= 1.0
    # D unsure about reals (sign average -1 < 0.6): no augmentation
    assert _p_after(_disc(FULL, fast).ada_aug, iters, -1, batch) == 0.0
    # the Cityscapes config's 500k images per unit of p barely move it in as many
    assert _p_after(_disc(FULL).ada_aug, iters, +1, batch) < 0.01


def test_demo_trains_without_ada():
    """600 iterations are far too short for D to overfit 300 images; ADA only
    slowed the demo generator (docs/datasetgan.md, "ADA")."""
    assert Config.fromfile(osp.join(REPO, DEMO)).model.discriminator.data_aug is None
    assert not _disc(DEMO).with_ada
