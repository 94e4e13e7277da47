"""Every GAN-augmentation config trains two iterations on tiny data.

configs/ganaug/pix2pixhd_demo.py and configs/ganaug/pix2pixhd_cityscapes.py run through
mmagic's GAN machinery (the Cityscapes one with its VGG loss on a random VGG, since
no weights can be downloaded here, and narrower layers for CPU time);
configs/deeplabv3_r50_ganaug_cityscapes.py (alias),
configs/ganaug/deeplabv3_r{18,50}_ganaug_cityscapes.py and
configs/ganaug/deeplabv3_r18_ganaug_demo.py train on the tiny demo data mixed
with a tiny synthetic set; configs/ganaug/deeplabv3_r18_ganaug-aligned_demo.py
does too, after dropping its worst-aligned image.
"""
import glob
import json
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from ganseg_mm import compat
from tests.test_ganaug.ganaug_helpers import make_synthetic_set, write_alignment
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(REPO) if osp.basename(REPO) == 'tests' else REPO
GAN_CONFIGS = ['configs/ganaug/pix2pixhd_demo.py', 'configs/ganaug/pix2pixhd_cityscapes.py']
SEG_CONFIGS = ['configs/deeplabv3_r50_ganaug_cityscapes.py',
               'configs/ganaug/deeplabv3_r50_ganaug_cityscapes.py',
               'configs/ganaug/deeplabv3_r18_ganaug_cityscapes.py',
               'configs/ganaug/deeplabv3_r18_ganaug_demo.py']
ALIGNED = 'configs/ganaug/deeplabv3_r18_ganaug-aligned_demo.py'


def _gan_cfg(config, root, work_dir, iters=2):
    cfg = Config.fromfile(osp.join(REPO, config))
    ds = cfg.train_dataloader.dataset
    ds.data_root = root.rstrip('/') + '/'
    for t in ds.pipeline:
        if t['type'].endswith('Resize'):
            t['scale'] = (256, 128)
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False, batch_size=2)
    cfg.train_cfg.max_iters = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks[0].interval = 1
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.experiment_name = f'{osp.basename(config)}_{uuid.uuid4().hex[:8]}'
    return cfg


def test_gan_configs_are_mmagic_pix2pixhd():
    for config in GAN_CONFIGS:
        cfg = Config.fromfile(osp.join(REPO, config))
        assert cfg.default_scope == 'mmagic' and 'ganseg_mm' in cfg.custom_imports['imports']
        assert cfg.model.type == 'Pix2PixHD'
        assert cfg.model.discriminator.in_channels == cfg.model.generator.num_classes + 5
        assert isinstance(cfg.optim_wrapper.generator.optimizer.betas[0], float)
    full = Config.fromfile(osp.join(REPO, GAN_CONFIGS[1]))
    assert full.model.vgg_loss.weight == 10 and full.model.feat_match_weight == 10


def test_cityscapes_gan_config_names_missing_vgg_weights(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    cfg = Config.fromfile(osp.join(REPO, GAN_CONFIGS[1]))
    init_default_scope('mmagic')
    from mmagic.registry import MODELS
    with pytest.raises(FileNotFoundError, match='vgg19-dcbb9e9d.pth'):
        MODELS.build(cfg.model)


@pytest.mark.slow
@pytest.mark.parametrize('config', GAN_CONFIGS)
def test_gan_config_trains_two_iterations(config, tiny_demo_root, tmp_path):
    cfg = _gan_cfg(config, tiny_demo_root, str(tmp_path))
    if cfg.model.get('vgg_loss'):
        cfg.model.vgg_loss.pretrained = None  # random VGG: no weights here
        # CPU time: the full-width global generator is tested by its unit tests
        cfg.model.generator.update(base_channels=8, n_blocks=1, max_channels=64)
        cfg.model.discriminator.update(base_channels=8, max_channels=64)
    compat.adapt_cfg_for_device(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    ckpt = torch.load(osp.join(str(tmp_path), 'iter_2.pth'), map_location='cpu')
    assert any(k.startswith('generator.') for k in ckpt['state_dict'])
    assert not any('vgg' in k for k in ckpt['state_dict'])
    grids = sorted(glob.glob(osp.join(str(tmp_path), 'samples', 'iter_*.png')))
    assert len(grids) == 3  # iterations 0, 1, 2
    with open(osp.join(str(tmp_path), 'samples', 'iter_2.json')) as f:
        assert 0 <= json.load(f)['mean'] <= 255


@pytest.fixture(scope='module')
def synth_root(tiny_demo_root, tmp_path_factory):
    return make_synthetic_set(tiny_demo_root, str(tmp_path_factory.mktemp('ganaug')), num=4)


@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_seg_config_changes_only_training_data(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    name = osp.basename(cfg.filename).replace('_ganaug', '')  # the baseline it extends
    base = Config.fromfile(osp.join(REPO, 'configs', 'baseline', name))
    assert cfg.default_scope == 'mmseg' and 'ganseg_mm' in cfg.custom_imports['imports']
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'GANAugmentedDataset' and ds.dataset == base.train_dataloader.dataset
    assert cfg.model == base.model and cfg.val_dataloader == base.val_dataloader


def test_aligned_config_only_adds_the_filter():
    aligned, plain = (Config.fromfile(osp.join(REPO, c)) for c in (ALIGNED, SEG_CONFIGS[-1]))
    assert aligned.train_dataloader.dataset.pop('drop_worst') == 0.1
    assert aligned.to_dict() == plain.to_dict()


def test_short_alias_is_the_ganaug_config():
    alias, full = (Config.fromfile(osp.join(REPO, c)) for c in SEG_CONFIGS[:2])
    assert alias.to_dict() == full.to_dict()


def test_demo_gan_config_changes_only_data_and_size():
    demo, full = (Config.fromfile(osp.join(REPO, c)) for c in GAN_CONFIGS)
    assert demo.model.type == full.model.type and demo.model.gan_type == full.model.gan_type
    assert demo.model.feat_match_weight == full.model.feat_match_weight
    assert demo.model.data_preprocessor == full.model.data_preprocessor
    assert demo.train_dataloader.dataset.type == full.train_dataloader.dataset.type
    assert demo.optim_wrapper.generator.optimizer.betas == \
        full.optim_wrapper.generator.optimizer.betas


def _train_seg(config, demo_root, work_dir, **dataset):
    """Two iterations of a GAN-augmented config; ``dataset``: wrapper options."""
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_demo(cfg, demo_root, work_dir, iters=2)
    cfg.train_dataloader.dataset.update(dataset)
    cfg.experiment_name = f'{osp.basename(config)}_{uuid.uuid4().hex[:8]}'
    compat.adapt_cfg_for_device(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    return runner.train_dataloader.dataset


@pytest.mark.slow
@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_seg_config_trains_two_iterations(config, tiny_demo_root, synth_root, tmp_path):
    ds = _train_seg(config, tiny_demo_root, str(tmp_path), synthetic_root=synth_root)
    assert sum(ds.is_synthetic(i) for i in range(len(ds))) == 4  # 12 real, ratio 0.25


@pytest.mark.slow
def test_aligned_config_trains_two_iterations_without_the_worst(tiny_demo_root, tmp_path):
    synth = make_synthetic_set(tiny_demo_root, str(tmp_path / 'ganaug'), num=10)
    path = str(tmp_path / 'alignment.json')
    names = write_alignment(synth, path, [0.8, 0.05, 0.6, 0.7, 0.3, 0.9, 0.5, 0.4, 0.2, 0.6])
    ds = _train_seg(ALIGNED, tiny_demo_root, str(tmp_path / 'work'), synthetic_root=synth,
                    alignment=path)
    used = {osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))
            if ds.is_synthetic(i)}
    assert ds.aligned().sum() == 9  # 10 % of 10 dropped: the worst one
    assert used and not any(u.startswith(names[1]) for u in used)


@pytest.mark.slow
def test_gan_demo_config_trains_with_two_processes(tiny_demo_root, tmp_path):
    """tools/dist_train.sh: MMSeparateDistributedDataParallel on CPU (gloo)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT='29637')
    root = tiny_demo_root.rstrip('/') + '/'
    r = subprocess.run(
        ['bash', 'tools/dist_train.sh', 'configs/ganaug/pix2pixhd_demo.py', '2', '--work-dir',
         str(tmp_path), '--cfg-options', 'train_cfg.max_iters=2',
         f'train_dataloader.dataset.data_root={root}', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False', 'default_hooks.checkpoint.interval=2'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    ckpt = torch.load(str(tmp_path / 'iter_2.pth'), map_location='cpu')
    assert ckpt['meta']['iter'] == 2
    assert osp.isfile(tmp_path / 'samples' / 'iter_2.png')
