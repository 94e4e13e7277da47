"""Every UDA config (and the supervised 1/8 twin) trains two iterations on tiny data.

The tiny data carries the split files the configs name (``tiny_uda_root``).
"""
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ganseg_mm import compat
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
UDA_CONFIGS = [
    'configs/uda/deeplabv3_r18_uda_cityscapes.py',
    'configs/uda/deeplabv3_r50_uda_cityscapes.py',
    'configs/uda/unet-s5-d16_fcn_uda_cityscapes.py',
    'configs/uda/deeplabv3_r18_uda_demo.py',
    'configs/uda/unet-s5-d16_uda_demo.py',
    'configs/uda/deeplabv3_r18_uda-cutout-target_demo.py',
    'configs/uda/deeplabv3_r18_uda-nocutmix_demo.py',
]
SUPERVISED_TWINS = ['configs/uda/deeplabv3_r18_1-8sup_cityscapes.py',
                    'configs/uda/deeplabv3_r50_1-8sup_cityscapes.py',
                    'configs/uda/deeplabv3_r18_1-8sup_demo.py']
PAIRS = [('configs/uda/deeplabv3_r18_1-8sup_cityscapes.py',
          'configs/uda/deeplabv3_r18_uda_cityscapes.py'),
         ('configs/uda/deeplabv3_r50_1-8sup_cityscapes.py',
          'configs/uda/deeplabv3_r50_uda_cityscapes.py'),
         ('configs/uda/deeplabv3_r18_1-8sup_demo.py', 'configs/uda/deeplabv3_r18_uda_demo.py')]


@pytest.mark.parametrize('config', UDA_CONFIGS + SUPERVISED_TWINS)
def test_config_inherits_and_reads_the_1_8_split(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    assert 'ganseg_mm' in cfg.custom_imports['imports'] and cfg.default_scope == 'mmseg'
    assert cfg.model.decode_head.num_classes == 19
    assert cfg.train_dataloader.dataset.ann_file == 'splits/1-8_seed0_labeled.txt'
    if config in UDA_CONFIGS:
        assert cfg.model.type == 'UDAEncoderDecoder'
        assert cfg.train_cfg.type == 'UDAIterBasedTrainLoop'
        assert cfg.train_cfg.unlabeled_dataloader.dataset.dataset.ann_file == \
            'splits/1-8_seed0_unlabeled.txt'


@pytest.mark.parametrize('sup,uda', PAIRS)
def test_uda_config_is_its_supervised_reference_plus_unlabeled_part(sup, uda):
    """Same labeled data, schedule and network: only the model wrapper, its
    preprocessor, the loop and the unlabeled loader differ."""
    s, u = (Config.fromfile(osp.join(REPO, c)) for c in (sup, uda))
    assert s.train_dataloader == u.train_dataloader and s.val_dataloader == u.val_dataloader
    assert s.optim_wrapper == u.optim_wrapper and s.param_scheduler == u.param_scheduler
    assert u.train_cfg.max_iters == s.train_cfg.max_iters
    for key in ('backbone', 'decode_head', 'auxiliary_head'):
        assert s.model[key] == u.model[key], key
    assert s.model.type == 'EncoderDecoder' and u.model.type == 'UDAEncoderDecoder'


def test_cutout_ablation_differs_from_uda_only_in_the_strong_view():
    uda, abl = (Config.fromfile(osp.join(REPO, 'configs/uda', c)) for c in
                ('deeplabv3_r18_uda_demo.py', 'deeplabv3_r18_uda-cutout-target_demo.py'))
    strong = [[t for t in c.train_cfg.unlabeled_dataloader.dataset.pipeline
               if t.type == 'StrongView'][0] for c in (uda, abl)]
    assert strong[0].get('exclude_erased', True) and strong[1].exclude_erased is False
    assert {k: v for k, v in strong[1].items() if k != 'exclude_erased'} == strong[0]
    assert uda.model == abl.model and uda.train_dataloader == abl.train_dataloader


def test_cutmix_is_the_uda_default_and_its_ablation_differs_only_in_cutmix():
    uda, abl = (Config.fromfile(osp.join(REPO, 'configs/uda', c)) for c in
                ('deeplabv3_r18_uda_demo.py', 'deeplabv3_r18_uda-nocutmix_demo.py'))
    assert uda.model.pop('cutmix_prob') == 0.5 and abl.model.pop('cutmix_prob') == 0.0
    assert uda.model == abl.model and uda.train_cfg == abl.train_cfg
    for c in UDA_CONFIGS[:3]:  # the full-scale configs use it too
        assert Config.fromfile(osp.join(REPO, c)).model.cutmix_prob == 0.5


@pytest.mark.slow
@pytest.mark.parametrize('config', UDA_CONFIGS + SUPERVISED_TWINS)
def test_config_trains_two_iterations(config, tiny_uda_root, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_demo(cfg, tiny_uda_root, str(tmp_path), iters=2)
    cfg.experiment_name = f'{osp.basename(config)}_{uuid.uuid4().hex[:8]}'
    if 'unet' in config:  # mmseg's UNet slides 256 px windows; the tiny images are smaller
        cfg.model.test_cfg = dict(mode='whole')
    compat.adapt_cfg_for_device(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    ckpt = torch.load(osp.join(str(tmp_path), 'iter_2.pth'), map_location='cpu')
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
