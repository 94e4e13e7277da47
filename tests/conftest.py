"""Shared fixtures: the project's own tiny demo data, made once per session."""
import os
import os.path as osp
import shutil

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def tiny_demo_root(tmp_path_factory):
    """12 train / 4 val demo scenes at 128x256 (Cityscapes layout)."""
    from ganseg_mm.datasets import generate_demo_cityscapes
    root = str(tmp_path_factory.mktemp('demo') / 'demo_cityscapes')
    generate_demo_cityscapes(root, num_train=12, num_val=4, seed=0)
    return root


@pytest.fixture
def demo_copy(tiny_demo_root, tmp_path):
    """A private, modifiable copy of the tiny demo data."""
    dst = str(tmp_path / 'demo_copy')
    shutil.copytree(tiny_demo_root, dst)
    return dst


def pytest_configure(config):
    os.environ.setdefault('OMP_NUM_THREADS', '2')
