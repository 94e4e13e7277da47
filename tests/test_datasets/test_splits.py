import os
import os.path as osp
import subprocess
import sys
from fractions import Fraction

import pytest

from ganseg_mm.datasets import check_dataset_cfg
from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.datasets.splits import make_splits

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_nested_disjoint_deterministic():
    names = [f's{i:03d}' for i in range(64)]
    a = make_splits(names, ['1/16', '1/8', '1/4', '1/2'], seed=3)
    b = make_splits(list(reversed(names)), ['1/16', '1/8', '1/4', '1/2'], seed=3)
    assert a == b
    sizes = {f: len(lab) for f, (lab, _) in a.items()}
    assert sizes == {Fraction(1, 16): 4, Fraction(1, 8): 8, Fraction(1, 4): 16,
                     Fraction(1, 2): 32}
    labs = [set(a[Fraction(1, d)][0]) for d in (16, 8, 4, 2)]
    assert labs[0] < labs[1] < labs[2] < labs[3]
    for lab, unl in a.values():
        assert not set(lab) & set(unl) and set(lab) | set(unl) == set(names)
    assert make_splits(names, ['1/8'], seed=4) != make_splits(names, ['1/8'], seed=3)


def test_bad_split_arguments():
    with pytest.raises(ValueError, match='in \\(0, 1\\), got 1'):
        make_splits(['a', 'b'], ['1'])
    with pytest.raises(ValueError, match='labels none'):
        make_splits(['a', 'b'], ['1/16'])
    with pytest.raises(ValueError, match='not unique'):
        make_splits(['a', 'a'], ['1/2'])


def test_tool_writes_files_that_mmseg_reads(demo_copy, tmp_path):
    cfg = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')
    out = tmp_path / 'splits'
    p = subprocess.run([sys.executable, 'tools/make_splits.py', cfg, '--fractions', '1/4',
                        '1/2', '--out-dir', str(out), '--cfg-options',
                        f'train_dataloader.dataset.data_root={demo_copy}/'],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert sorted(os.listdir(out)) == [
        '1-2_seed0_labeled.txt', '1-2_seed0_unlabeled.txt',
        '1-4_seed0_labeled.txt', '1-4_seed0_unlabeled.txt']
    from mmengine.registry import init_default_scope
    from mmseg.datasets import CityscapesDataset
    init_default_scope('mmseg')
    kw = dict(data_root=demo_copy, data_prefix=dict(img_path='leftImg8bit/train',
                                                    seg_map_path='gtFine/train'))
    lab = CityscapesDataset(ann_file=str(out / '1-4_seed0_labeled.txt'), **kw)
    unl = CityscapesDataset(ann_file=str(out / '1-4_seed0_unlabeled.txt'), **kw)
    assert (len(lab), len(unl)) == (3, 9)  # 12 demo training images
    paths = {ds.get_data_info(i)['img_path'] for ds in (lab, unl) for i in range(len(ds))}
    assert len(paths) == 12 and all(osp.isfile(x) for x in paths)


def test_tool_reports_a_missing_root_in_one_line(tmp_path):
    p = subprocess.run([sys.executable, 'tools/make_splits.py',
                        'configs/baseline/deeplabv3_r18_demo.py', '--cfg-options',
                        f'train_dataloader.dataset.data_root={tmp_path}/none/'],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and 'Traceback' not in p.stderr
    assert "data_root '" in p.stderr.strip().splitlines()[-1]


def _cfg(root, ann_file):
    return dict(type='CityscapesDataset', data_root=root, ann_file=ann_file,
                data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))


def test_split_file_naming_a_missing_image_is_refused(demo_copy):
    from ganseg_mm.datasets.splits import write_splits
    names = sorted(
        osp.join(c, f[:-len('_leftImg8bit.png')])
        for c in os.listdir(osp.join(demo_copy, 'leftImg8bit/train'))
        for f in os.listdir(osp.join(demo_copy, 'leftImg8bit/train', c)))
    write_splits(osp.join(demo_copy, 'splits'), make_splits(names, ['1/2'], seed=0), seed=0)
    check_dataset_cfg(_cfg(demo_copy, 'splits/1-2_seed0_labeled.txt'))
    with open(osp.join(demo_copy, 'splits/1-2_seed0_labeled.txt'), 'a') as f:
        f.write('aachen/aachen_999999_000019\n')
    with pytest.raises(DataValidationError,
                       match=r"names 1 sample\(s\) without an image, e.g. '.*aachen_999999"):
        check_dataset_cfg(_cfg(demo_copy, 'splits/1-2_seed0_labeled.txt'))
    open(osp.join(demo_copy, 'splits/empty.txt'), 'w').close()
    with pytest.raises(DataValidationError, match='is empty'):
        check_dataset_cfg(_cfg(demo_copy, 'splits/empty.txt'))
