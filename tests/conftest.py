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


@pytest.fixture(scope='session')
def tiny_uda_root(tiny_demo_root, tmp_path_factory):
    """The tiny demo data plus 1/8 and 1/4 labeled/unlabeled split files."""
    from ganseg_mm.datasets.splits import make_splits, write_splits
    root = str(tmp_path_factory.mktemp('uda') / 'demo_cityscapes')
    shutil.copytree(tiny_demo_root, root)
    img_dir = osp.join(root, 'leftImg8bit', 'train')
    names = sorted(osp.relpath(osp.join(d, f), img_dir)[:-len('_leftImg8bit.png')]
                   for d, _, fs in os.walk(img_dir) for f in fs
                   if f.endswith('_leftImg8bit.png'))
    write_splits(osp.join(root, 'splits'), make_splits(names, ['1/8', '1/4'], seed=0), 0)
    return root


@pytest.fixture
def demo_copy(tiny_demo_root, tmp_path):
    """A private, modifiable copy of the tiny demo data."""
    dst = str(tmp_path / 'demo_copy')
    shutil.copytree(tiny_demo_root, dst)
    return dst


def pytest_configure(config):
    os.environ.setdefault('OMP_NUM_THREADS', '2')
