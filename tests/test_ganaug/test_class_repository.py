"""Class repositories: exact regions, determinism, resume, bad input."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.ganaug.class_repository import (ClassRepository, build_repository,
                                               extract_regions, load_regions)
from tests.test_ganaug.ganaug_helpers import demo_files

NAMES = [f'c{i}' for i in range(19)]


def test_extract_regions_exact():
    label = np.zeros((8, 10), np.uint8)
    label[1:3, 1:4] = 5          # 6 px blob
    label[5:8, 6:10] = 5         # 12 px blob touching the bottom
    label[0, 9] = 7              # 1 px speck, below min_area
    regs = [r for r in extract_regions(label, None, 19, min_area=2) if r['cls'] == 5]
    assert [(r['bbox'], r['area']) for r in regs] == [((1, 1, 4, 3), 6), ((6, 5, 10, 8), 12)]
    assert regs[0]['foot'] == 3 / 8 and regs[0]['ground'] == 0
    assert regs[1]['mask'].shape == (3, 4) and regs[1]['mask'].all()
    assert not any(r['cls'] == 7 for r in extract_regions(label, None, 19, min_area=2))


def test_extract_regions_splits_touching_instances():
    label = np.full((4, 6), 13, np.uint8)  # two touching cars
    inst = np.zeros((4, 6), np.int32)
    inst[:, :3], inst[:, 3:] = 26000, 26001
    regs = extract_regions(label, inst, 19, min_area=1)
    assert [r['bbox'] for r in regs] == [(0, 0, 3, 4), (3, 0, 6, 4)]
    assert len(extract_regions(label, None, 19, min_area=1)) == 1  # components merge them


def test_extract_regions_keeps_instances_beside_a_group_region():
    """One group region (Cityscapes id < 1000) must not merge the class's
    instances into one blob: instances by id, the group by its components."""
    label = np.full((4, 9), 13, np.uint8)
    inst = np.zeros((4, 9), np.int32)
    inst[:, :3], inst[:, 3:6], inst[:, 6:] = 26000, 26001, 13  # car, car, car group
    regs = extract_regions(label, inst, 19, min_area=1)
    assert sorted(r['bbox'] for r in regs) == [(0, 0, 3, 4), (3, 0, 6, 4), (6, 0, 9, 4)]
    label[:, 6:] = 0  # stuff with id 0 beside the cars: its own component, no instance
    inst[:, 6:] = 0
    regs = extract_regions(label, inst, 19, min_area=1)
    assert [(r['cls'], r['bbox']) for r in regs] == [(0, (6, 0, 9, 4)), (13, (0, 0, 3, 4)),
                                                     (13, (3, 0, 6, 4))]


def test_build_is_deterministic_resumable_and_complete(tiny_demo_root, tmp_path):
    files = demo_files(tiny_demo_root)
    a = build_repository(files, str(tmp_path / 'a'), NAMES, progress=False)
    # a killed run: index and two shards missing -> the rerun completes identically
    os.remove(tmp_path / 'a' / 'index.json')
    for k in (0, 5):
        os.remove(tmp_path / 'a' / 'regions' / f'{k:06d}.npz')
    b = build_repository(files, str(tmp_path / 'a'), NAMES, progress=False)
    assert a == b
    c = build_repository(files, str(tmp_path / 'c'), NAMES, progress=False)
    assert c == a
    # every labelled pixel of class 13 (car) is in its regions (min_area aside)
    stats = a['stats']['13']
    areas = sum(r[2] for r in a['regions']['13'])
    assert stats['regions'] == len(a['regions']['13']) and 0 < areas <= stats['pixels']
    assert abs(sum(s['frequency'] for s in a['stats'].values()) - 1) < 1e-9
    repo = ClassRepository(str(tmp_path / 'a'))
    r = repo.region(13, 0)
    assert r['mask'].sum() == a['regions']['13'][0][2] and r['source'] == files[
        a['regions']['13'][0][0]][1]
    assert len(load_regions(str(tmp_path / 'a' / 'regions' / '000000.npz'))) > 0


def test_bad_inputs(demo_copy, tmp_path):
    files = demo_files(demo_copy)
    with pytest.raises(DataValidationError, match=r'made with other parameters \(sources: '):
        build_repository(files[:2], str(tmp_path / 'r'), NAMES, progress=False)
        build_repository(files[:3], str(tmp_path / 'r'), NAMES, progress=False)
    bad = files[1][1]
    lab = cv2.imread(bad, cv2.IMREAD_UNCHANGED)
    lab[0, 0] = 40
    cv2.imwrite(bad, lab)
    with pytest.raises(DataValidationError, match=r'label ids \[40\]'):
        build_repository(files, str(tmp_path / 's'), NAMES, progress=False)
    assert osp.isfile(tmp_path / 's' / 'regions' / '000000.npz')  # earlier work kept
    with open(files[2][1], 'wb') as f:
        f.write(b'not a png')
    with pytest.raises(DataValidationError, match='not a readable PNG'):
        build_repository(files[2:], str(tmp_path / 't'), NAMES, progress=False)
    repo = ClassRepository(str(tmp_path / 'r'))  # two scenes: some classes never occur
    empty = next(c for c in range(19) if not repo.num_regions(c))
    with pytest.raises(DataValidationError, match=f'class {empty} .* empty repository'):
        repo.region(empty, 0)
    with pytest.raises(DataValidationError, match='not a class repository'):
        ClassRepository(str(tmp_path))
