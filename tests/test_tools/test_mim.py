"""The package as mim sees it: configs/tools shipped in ganseg_mm/.mim."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

import ganseg_mm
from tests.test_tools.test_train_cli import _opts

PKG = osp.dirname(ganseg_mm.__file__)


def test_mim_extension_ships_configs_and_tools():
    for name in ('configs/baseline/deeplabv3_r18_demo.py',
                 'configs/deeplabv3_r50_ganaug_cityscapes.py',
                 *(f'configs/{m}/README.md' for m in ('cegu', 'uda', 'ganaug', 'datasetgan')),
                 'tools/train.py', 'tools/test.py', 'tools/dist_train.sh'):
        assert osp.isfile(osp.join(PKG, '.mim', name)), name


@pytest.mark.slow
def test_mim_train_finds_config_by_name(tiny_demo_root, tmp_path):
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    wd = str(tmp_path / 'wd')
    # run from an unrelated directory: mim resolves the config inside the package
    p = subprocess.run([mim, 'train', 'ganseg_mm', 'deeplabv3_r18_demo.py', '--gpus', '0',
                        '--work-dir', wd, '--cfg-options', *_opts(tiny_demo_root)],
                       cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert torch.load(osp.join(wd, 'iter_2.pth'), map_location='cpu')['meta']['iter'] == 2
