"""StyleGAN2-ADA in the DatasetGAN GAN configs: mmagic's adaptive
augmentation reaches the (slim) discriminator, and the demo's schedule lets
its probability move within the demo's short run."""
import os.path as osp

import pytest
import torch
from mmagic.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

import ganseg_mm.models.editors  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIGS = ['configs/datasetgan/stylegan2_512_cityscapes.py',
           'configs/datasetgan/stylegan2_64_demo.py']


def _disc(config, size=16):
    cfg = Config.fromfile(osp.join(REPO, config)).model.discriminator
    cfg.in_size = size
    if 'max_channels' in cfg:
        cfg.max_channels = 16
    with DefaultScope.overwrite_default_scope('mmagic'):
        return MODELS.build(cfg)


@pytest.mark.parametrize('config', CONFIGS)
def test_configs_augment_what_the_discriminator_sees(config):
    torch.manual_seed(0)
    d = _disc(config).eval()
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


def test_demo_p_rises_to_1_while_d_overfits_and_stays_0_otherwise():
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[1]))
    iters, batch = cfg.train_cfg.max_iters, cfg.train_dataloader.batch_size
    # D calls every real image real (sign +1 > target 0.6): p climbs, and the
    # demo's ada_kimg lets it reach 1 within the run
    assert _p_after(_disc(CONFIGS[1]).ada_aug, iters, +1, batch) >= 1.0
    # D unsure about reals (sign average -1 < 0.6): no augmentation
    assert _p_after(_disc(CONFIGS[1]).ada_aug, iters, -1, batch) == 0.0
    # at full scale the same run would barely move p (500k images per unit)
    assert _p_after(_disc(CONFIGS[0]).ada_aug, iters, +1, batch) < 0.01
