"""Every DatasetGAN config is built and run for two iterations on tiny data.

The chain of the method on the tiny demo set: StyleGAN2 configs (2 iterations)
-> samples + annotations -> interpreter configs (2 iterations) -> generated
dataset -> DeepLabV3 configs (2 iterations, trained on it, validated on real
demo val), alone and mixed with the real labelled images of the "same
annotation budget" reference, which trains two iterations on those alone.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import uuid

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ganseg_mm import compat
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GAN_DEMO = 'configs/datasetgan/stylegan2_64_demo.py'
GAN_FULL = 'configs/datasetgan/stylegan2_512_cityscapes.py'
INTERP_DEMO = 'configs/datasetgan/interpreter_demo.py'
INTERP_FULL = 'configs/datasetgan/interpreter_cityscapes.py'
SEG_DEMO = 'configs/datasetgan/deeplabv3_r18_datasetgan_demo.py'
SEG_FULL = 'configs/datasetgan/deeplabv3_r50_datasetgan_cityscapes.py'
SEG_REAL = 'configs/datasetgan/deeplabv3_r18_16real_demo.py'
SEG_MIXED = 'configs/datasetgan/deeplabv3_r18_datasetgan-16real_demo.py'

pytestmark = pytest.mark.slow


def tool(name):
    path = osp.join(REPO, 'tools', 'datasetgan', name + '.py')
    spec = importlib.util.spec_from_file_location(f'dg_{name}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _train(cfg, work_dir, iters=2):
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    cfg.experiment_name = f'dg_{uuid.uuid4().hex[:8]}'
    compat.adapt_cfg_for_device(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == iters
    return runner


def _gan_cfg(config, root, size=None):
    cfg = Config.fromfile(osp.join(REPO, config))
    ds = cfg.train_dataloader
    ds.batch_size, ds.num_workers, ds.persistent_workers = 2, 0, False
    ds.dataset.data_root = osp.join(root, 'leftImg8bit', 'train')
    if size is not None:  # the full-scale GAN at a CPU-sized resolution
        cfg.model.generator.out_size = cfg.model.discriminator.in_size = size
        ds.dataset.pipeline[1].scale = (size, size)
    cfg.train_cfg.max_iters = 2
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    return cfg


@pytest.fixture(scope='module')
def gan_ckpt(tiny_demo_root, tmp_path_factory):
    work = tmp_path_factory.mktemp('gan')
    _train(_gan_cfg(GAN_DEMO, tiny_demo_root), work)
    ckpt = str(work / 'iter_2.pth')
    sd = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert any(k.startswith('generator_ema.module.') for k in sd)
    return ckpt


def test_full_scale_gan_config_trains(tiny_demo_root, tmp_path):
    cfg = _gan_cfg(GAN_FULL, tiny_demo_root, size=8)
    assert cfg.model.generator.style_channels == 512
    _train(cfg, tmp_path)


@pytest.fixture(scope='module')
def annotated(gan_ckpt, tmp_path_factory):
    d = tmp_path_factory.mktemp('annotated')
    samples, src, ann = str(d / 'samples'), str(d / 'src'), str(d / 'ann')
    assert tool('generate_samples').main(
        [osp.join(REPO, GAN_DEMO), gan_ckpt, samples, '--num', '6']) == 0
    os.makedirs(src)
    for i in range(4):  # stand-in annotations: sky above, road below, a car
        m = np.full((64, 64), 10, np.uint8)
        m[32:] = 0
        m[40:52, 8 * i:8 * i + 20] = 13
        m[0, 0] = 255
        cv2.imwrite(osp.join(src, f'sample_{i:05d}.png'), m)
    assert tool('import_annotations').main([samples, src, ann, '--classes', 'cityscapes']) == 0
    return samples, ann


def _interp_cfg(config, gan_ckpt, annotated):
    cfg = Config.fromfile(osp.join(REPO, config))
    gan_cfg = osp.join(REPO, GAN_DEMO)
    cfg.model.gan_config, cfg.model.gan_checkpoint = gan_cfg, gan_ckpt
    cfg.model.pixels_per_image = 256
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.dataset.samples_dir, loader.dataset.ann_dir = annotated
        loader.dataset.gan_config = gan_cfg
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = 2
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    return cfg


@pytest.mark.parametrize('config', [INTERP_DEMO, INTERP_FULL])
def test_interpreter_config_trains(config, gan_ckpt, annotated, tmp_path):
    cfg = _interp_cfg(config, gan_ckpt, annotated)
    assert any(h.type == 'MemberEarlyStoppingHook' for h in cfg.custom_hooks)
    runner = _train(cfg, tmp_path)
    assert 0 <= runner.message_hub.get_scalar('val/mIoU').current() <= 100
    assert glob.glob(str(tmp_path / 'best_mIoU_iter_2.pth'))


@pytest.fixture(scope='module')
def generated(gan_ckpt, annotated, tmp_path_factory):
    work = tmp_path_factory.mktemp('interp')
    cfg = _interp_cfg(INTERP_DEMO, gan_ckpt, annotated)
    _train(cfg, work)
    cfg_path = str(work / 'interp.py')
    cfg.dump(cfg_path)
    out = str(tmp_path_factory.mktemp('generated') / 'dataset')
    assert tool('generate_dataset').main(
        [cfg_path, str(work), out, '--num', '5', '--drop', '0.2']) == 0
    imgs = glob.glob(osp.join(out, 'leftImg8bit', 'train', 'datasetgan', '*_leftImg8bit.png'))
    assert len(imgs) == 4
    with open(osp.join(out, 'manifest.json')) as f:
        assert json.load(f)['truncation'] == 0.7  # DatasetGAN's psi by default, recorded
    return out


@pytest.mark.parametrize('config', [SEG_DEMO, SEG_FULL])
def test_deeplab_config_trains_on_generated_data(config, generated, tiny_demo_root, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_demo(cfg, tiny_demo_root, str(tmp_path), iters=2)
    cfg.train_dataloader.dataset.data_root = generated + '/'
    assert cfg.val_dataloader.dataset.data_root.rstrip('/') == tiny_demo_root.rstrip('/')
    runner = _train(cfg, tmp_path)
    ckpt = torch.load(str(tmp_path / 'iter_2.pth'), map_location='cpu', weights_only=False)
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
    assert len(runner.train_dataloader.dataset) == 4


def test_real_reference_config_trains_on_its_split(tiny_uda_root, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, SEG_REAL))
    point_cfg_at_demo(cfg, tiny_uda_root, str(tmp_path), iters=2)
    runner = _train(cfg, tmp_path)
    with open(osp.join(tiny_uda_root, cfg.labeled_split)) as f:
        split = f.read().split()
    assert len(runner.train_dataloader.dataset) == len(split) == 1  # 16/300 of 12, rounded


def test_mixed_config_trains_on_generated_and_repeated_real(generated, tiny_uda_root, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, SEG_MIXED))
    point_cfg_at_demo(cfg, tiny_uda_root, str(tmp_path), iters=2)
    cfg.train_dataloader.dataset.datasets[0].data_root = generated + '/'
    runner = _train(cfg, tmp_path)
    ds = runner.train_dataloader.dataset
    assert [len(d) for d in ds.datasets] == [4, cfg.real_repeats * 1]
    real = ds.datasets[1].dataset.get_data_info(0)['img_path']
    assert real.startswith(tiny_uda_root) and real.endswith('_leftImg8bit.png')
