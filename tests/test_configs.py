"""Every config in configs/ is built and trained for two iterations on tiny data."""
import glob
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ganseg_mm import compat
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
ALL_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                            recursive=True)
    if '_base_' not in p)
# Configs that need data made by their method (synthetic sets, split files, GAN
# checkpoints) or that are not segmentation configs are built and run for two
# iterations by their method's own test file, named here.
METHOD_TESTS = {  # first match wins
    'combined/': 'tests/test_configs_combined.py',
    'ganaug': 'tests/test_configs_ganaug.py',
    'datasetgan': 'tests/test_configs_datasetgan.py',
    'uda': 'tests/test_configs_uda.py',
    '1-8sup': 'tests/test_configs_uda.py',
}


def _method_test(config):
    for pattern, test_file in METHOD_TESTS.items():
        if pattern in config:
            return test_file
    return None


CONFIGS = [c for c in ALL_CONFIGS if _method_test(c) is None]


def test_config_list_is_not_empty():
    assert 'configs/baseline/deeplabv3_r18_demo.py' in CONFIGS
    assert 'configs/baseline/deeplabv3_r50_cityscapes.py' in CONFIGS


@pytest.mark.parametrize('config', [c for c in ALL_CONFIGS if _method_test(c)])
def test_method_config_is_run_by_its_test_file(config):
    """Every config left out here is named (and so run) by its method's tests."""
    test_file = osp.join(REPO, _method_test(config))
    assert osp.isfile(test_file), f'{config}: {test_file} missing'
    with open(test_file) as f:
        assert config in f.read(), f'{config} is not run by {test_file}'


@pytest.mark.parametrize('config', CONFIGS)
def test_config_loads_plugin_and_inherits(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    assert 'ganseg_mm' in cfg.custom_imports['imports']
    assert cfg.default_scope == 'mmseg'
    assert cfg.model.decode_head.num_classes == 19


@pytest.mark.slow
@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_two_iterations(config, tiny_demo_root, tmp_path):
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_demo(cfg, tiny_demo_root, str(tmp_path), iters=2)
    cfg.experiment_name = f'{osp.basename(config)}_{uuid.uuid4().hex[:8]}'
    compat.adapt_cfg_for_device(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    ckpt = torch.load(osp.join(str(tmp_path), 'iter_2.pth'), map_location='cpu')
    assert ckpt['meta']['iter'] == 2
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values()
               if v.is_floating_point())
