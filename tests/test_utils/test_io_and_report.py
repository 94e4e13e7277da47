import glob
import os
import stat

import cv2
import numpy as np
import pytest

from ganseg_mm.utils import io
from ganseg_mm.utils.report import format_iou_table


def test_atomic_png_roundtrip_16bit(tmp_path):
    a = (np.arange(12, dtype=np.uint16) * 3000).reshape(3, 4)
    p = str(tmp_path / 'sub' / 'x.png')
    io.atomic_write_png(p, a)
    assert np.array_equal(cv2.imread(p, cv2.IMREAD_UNCHANGED), a)


def test_written_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        io.atomic_write_text(str(tmp_path / 'a.json'), '{}')
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / 'a.json').st_mode) == 0o644  # not mkstemp's 0600


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    p = str(tmp_path / 'x.txt')
    io.atomic_write_text(p, 'old')

    def boom(*a, **k):
        raise KeyboardInterrupt  # as if killed between write and rename

    monkeypatch.setattr(io.os, 'replace', boom)
    with pytest.raises(KeyboardInterrupt):
        io.atomic_write_text(p, 'new')
    assert open(p).read() == 'old'
    assert glob.glob(str(tmp_path / '*')) == [p]


def test_iou_table_marks_rare_and_averages():
    runs = {'base': {'IoU.road': 90.0, 'IoU.train': 10.0, 'IoU.bus': float('nan'),
                     'mIoU': 50.0}}
    t = format_iou_table(['road', 'train', 'bus'], [0.8, 0.01, 0.19],
                         [False, True, True], runs)
    lines = t.splitlines()
    assert lines[2].startswith(' road') and '90.00' in lines[2]
    assert lines[3].startswith('*train') and lines[4].rstrip().endswith('n/a')
    assert lines[-1].startswith('rare-class mIoU') and lines[-1].rstrip().endswith('10.00')
