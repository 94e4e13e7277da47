"""The all-methods configs: UDA + GAN augmentation + CEGU + rare-class sampling.

configs/combined/deeplabv3_r50_ganaug-cegu-uda-rcs_cityscapes.py and its demo twin
configs/combined/deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py are the UDA configs with
the labeled set wrapped twice (GAN-augmented, then rare-class sampled) and the CEGU
loss and hook; both train two iterations on tiny data, the demo one also with
two processes. The combination's single-part arms (configs/combined/deeplabv3_r18_1-8sup-*_demo.py:
configs/combined/deeplabv3_r18_1-8sup-rcs_demo.py,
configs/combined/deeplabv3_r18_1-8sup-ganaug_demo.py,
configs/combined/deeplabv3_r18_1-8sup-cegu_demo.py) are the supervised 1/8
reference plus one of its parts, exactly as configured in the combination.
"""
import glob
import os
import os.path as osp
import socket
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ganseg_mm import compat
from tests.test_ganaug.ganaug_helpers import make_synthetic_set
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'configs/combined/deeplabv3_r50_ganaug-cegu-uda-rcs_cityscapes.py':
        'configs/uda/deeplabv3_r50_uda_cityscapes.py',
    'configs/combined/deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py':
        'configs/uda/deeplabv3_r18_uda_demo.py',
}


@pytest.mark.parametrize('config,uda', CONFIGS.items())
def test_combined_config_is_the_uda_config_plus_the_other_parts(config, uda):
    cfg, base = (Config.fromfile(osp.join(REPO, c)) for c in (config, uda))
    rcs = cfg.train_dataloader.dataset
    assert rcs.type == 'RareClassSamplingDataset' and rcs.temperature == 0.01
    assert rcs.dataset.type == 'GANAugmentedDataset'
    assert rcs.dataset.dataset == base.train_dataloader.dataset  # the labeled 1/8 split
    assert rcs.num_samples == cfg.train_cfg.max_iters * cfg.train_dataloader.batch_size * (
        4 if 'cityscapes' in config else 1)
    assert [loss['type'] for loss in cfg.model.decode_head.loss_decode] == [
        'CEGULoss', 'CEGUAdversarialLoss']
    assert [h['type'] for h in cfg.custom_hooks] == ['RandomStateHook', 'CEGUDiscriminatorHook']
    assert cfg.train_cfg == base.train_cfg and cfg.model.type == 'UDAEncoderDecoder'
    for key in ('backbone', 'auxiliary_head', 'data_preprocessor'):
        assert cfg.model[key] == base.model[key], key
    assert cfg.optim_wrapper == base.optim_wrapper and cfg.val_dataloader == base.val_dataloader


@pytest.fixture(scope='module')
def synth_1_8(tiny_uda_root, tmp_path_factory):
    return make_synthetic_set(tiny_uda_root, str(tmp_path_factory.mktemp('ganaug18')), num=4)


def _cfg(config, root, synth, work_dir):
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_demo(cfg, root, work_dir, iters=2)
    cfg.experiment_name = f'{osp.basename(config)}_{uuid.uuid4().hex[:8]}'
    rcs = cfg.train_dataloader.dataset
    rcs.update(min_pixels=20, cache_dir=osp.join(work_dir, 'class_stats'))
    rcs.dataset.synthetic_root = synth
    hook = cfg.custom_hooks[1]
    hook.update(warmup_iters=0, vis_interval=2)  # CEGU weighting from the first iteration
    hook.discriminator.base_channels = 8
    if 'cityscapes' in config:  # the image channels from a UDA batch's labeled part
        hook.with_image = True
        hook.discriminator.in_channels = 22
    compat.adapt_cfg_for_device(cfg)
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS)
def test_combined_config_trains_two_iterations(config, tiny_uda_root, synth_1_8, tmp_path):
    runner = Runner.from_cfg(_cfg(config, tiny_uda_root, synth_1_8, str(tmp_path)))
    runner.train()
    assert runner.iter == 2
    ds = runner.train_dataloader.dataset
    assert type(ds).__name__ == 'RareClassSamplingDataset'
    assert type(ds.dataset).__name__ == 'GANAugmentedDataset'
    logged = set(runner.message_hub.log_scalars)
    assert {'train/sup.decode.loss_cegu', 'train/sup.decode.loss_adv',
            'train/unsup.loss_consistency', 'train/cegu.w_wrong_vs_right'} <= logged, logged
    # CEGU's weight picture from a UDA batch (labeled and unlabeled parts)
    assert glob.glob(osp.join(str(tmp_path), '*', 'vis_data', 'vis_image', 'cegu_weights_2.png'))
    ckpt = torch.load(osp.join(str(tmp_path), 'iter_2.pth'), map_location='cpu')
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())


SUP = 'configs/uda/deeplabv3_r18_1-8sup_demo.py'
COMBINED_DEMO = 'configs/combined/deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py'
ARMS = [f'configs/combined/deeplabv3_r18_1-8sup-{p}_demo.py' for p in ('rcs', 'ganaug', 'cegu')]


@pytest.mark.parametrize('config', ARMS)
def test_arm_is_the_1_8_reference_plus_one_part_of_the_combination(config):
    arm, sup, comb = (Config.fromfile(osp.join(REPO, c)) for c in (config, SUP, COMBINED_DEMO))
    part = config.split('1-8sup-')[1].split('_')[0]
    ds, rcs = arm.train_dataloader.dataset, comb.train_dataloader.dataset
    if part == 'rcs':
        assert ds.dataset == sup.train_dataloader.dataset
        assert {k: v for k, v in ds.items() if k != 'dataset'} == \
            {k: v for k, v in rcs.items() if k != 'dataset'}
    elif part == 'ganaug':
        assert ds == rcs.dataset  # the same 1/8 set mixed with the same rendered set
    else:
        assert ds == sup.train_dataloader.dataset
    same_loss = arm.model.decode_head.loss_decode == comb.model.decode_head.loss_decode
    same_hooks = arm.custom_hooks == comb.custom_hooks
    assert same_loss == same_hooks == (part == 'cegu')
    assert arm.model.type == 'EncoderDecoder' and arm.train_cfg == sup.train_cfg
    assert arm.model.backbone == sup.model.backbone and arm.optim_wrapper == sup.optim_wrapper


@pytest.mark.slow
@pytest.mark.parametrize('config', ARMS)
def test_arm_trains_two_iterations(config, tiny_uda_root, synth_1_8, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_demo(cfg, tiny_uda_root, str(tmp_path), iters=2)
    cfg.experiment_name = f'{osp.basename(config)}_{uuid.uuid4().hex[:8]}'
    ds = cfg.train_dataloader.dataset
    if ds.type == 'RareClassSamplingDataset':
        ds.update(min_pixels=20, cache_dir=str(tmp_path / 'class_stats'))
    if ds.type == 'GANAugmentedDataset':
        ds.synthetic_root = synth_1_8
    if len(cfg.custom_hooks) > 1:
        cfg.custom_hooks[1].update(warmup_iters=0)
        cfg.custom_hooks[1].discriminator.base_channels = 8
    compat.adapt_cfg_for_device(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_combined_demo_config_trains_with_two_processes(tiny_uda_root, synth_1_8, tmp_path):
    """tools/dist_train.sh on CPU (gloo): rank 0 counts the class pixels and
    broadcasts them with its seed, so the ranks draw one sampling index even
    with per-rank seeds."""
    config = 'configs/combined/deeplabv3_r18_ganaug-cegu-uda-rcs_demo.py'
    cfg = _cfg(config, tiny_uda_root, synth_1_8, str(tmp_path / 'dist'))
    cfg.train_dataloader.dataset.cache_dir = None  # every count goes through the broadcast
    cfg.randomness.diff_rank_seed = True  # ranks' own seeds would draw different indexes
    dumped = str(tmp_path / 'combined_demo.py')
    cfg.dump(dumped)
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()), OMP_NUM_THREADS='1')
    p = subprocess.run(['bash', 'tools/dist_train.sh', dumped, '2', '--work-dir',
                        str(tmp_path / 'dist')], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    assert 'Distributed training: True' in out and 'rare-class sampling over' in out
    ckpt = torch.load(str(tmp_path / 'dist' / 'iter_2.pth'), map_location='cpu')
    assert ckpt['meta']['iter'] == 2
