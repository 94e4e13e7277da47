import glob
import os
import os.path as osp

import pytest

from ganseg_mm.datasets import check_dataset_cfg
from ganseg_mm.utils.errors import DataValidationError, error_message


def _cfg(root, split='train', **kw):
    return dict(type='CityscapesDataset', data_root=root,
                data_prefix=dict(img_path=f'leftImg8bit/{split}',
                                 seg_map_path=f'gtFine/{split}'), **kw)


def test_good_dataset_passes(tiny_demo_root):
    check_dataset_cfg(_cfg(tiny_demo_root))


def test_missing_root(tmp_path):
    with pytest.raises(DataValidationError, match=r"data_root '.*nowhere' does not exist"):
        check_dataset_cfg(_cfg(str(tmp_path / 'nowhere')))


def test_missing_split_dir(tiny_demo_root):
    with pytest.raises(DataValidationError, match='img_path directory .*leftImg8bit/test'):
        check_dataset_cfg(_cfg(tiny_demo_root, split='test'))


def test_empty_split_uses_dataset_suffix(demo_copy):
    for f in glob.glob(osp.join(demo_copy, 'leftImg8bit/val/*/*.png')):
        os.remove(f)
    with pytest.raises(DataValidationError, match=r'empty split, no "\*_leftImg8bit.png" files'):
        check_dataset_cfg(_cfg(demo_copy, split='val'))


def test_missing_ann_file(tiny_demo_root):
    with pytest.raises(DataValidationError, match="ann_file '.*splits/x.txt' does not exist"):
        check_dataset_cfg(_cfg(tiny_demo_root, ann_file='splits/x.txt'))


def test_recurses_into_wrappers(tmp_path, tiny_demo_root):
    cfg = dict(type='ConcatDataset', datasets=[
        _cfg(tiny_demo_root), dict(type='RepeatDataset', times=2,
                                   dataset=_cfg(str(tmp_path / 'gone')))])
    with pytest.raises(DataValidationError, match=r'dataset.datasets\[1\].dataset: data_root'):
        check_dataset_cfg(cfg)


def test_worker_message_is_unwrapped():
    wrapped = DataValidationError(
        'Caught DataValidationError in DataLoader worker process 0.\n'
        'Original Traceback (most recent call last):\n  File "x.py"\n'
        'ganseg_mm.utils.errors.DataValidationError: f.png: label ids [40]')
    assert error_message(wrapped) == 'f.png: label ids [40]'
