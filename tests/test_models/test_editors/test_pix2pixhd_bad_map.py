"""pix2pixHD's condition check names the bad label map of a batch, not its first."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.gan import make_condition

NC = 3


def _labels(n=3, bad=None, h=4, w=6):
    label = torch.zeros(n, h, w, dtype=torch.long)
    label[:, 0, 0] = 255  # ignore is fine
    if bad is not None:
        label[bad, 1, 2] = 9
        label[bad, 2, 2] = 7
    return label


def test_make_condition_names_the_bad_map_of_the_batch():
    names = ['a.png', 'b.png', 'c.png']
    with pytest.raises(DataValidationError, match=r'^b.png: label ids \[7, 9\] are outside'):
        make_condition(_labels(bad=1), None, NC, source=names)
    with pytest.raises(DataValidationError, match=r'^c.png: label ids \[7, 9\]'):
        make_condition(_labels(bad=2), None, NC, source=names)
    with pytest.raises(DataValidationError, match=r'^batch.png: label ids'):  # one name for all
        make_condition(_labels(bad=2), None, NC, source='batch.png')
    cond = make_condition(_labels(), None, NC, source=names)  # a good batch
    assert cond.shape == (3, NC + 2, 4, 6) and cond[:, NC, 0, 0].eq(1).all()
    with pytest.raises(ValueError, match='2 sources for 3 maps'):
        make_condition(_labels(bad=0), None, NC, source=names[:2])


def _preprocessor():
    import ganseg_mm.models.data_preprocessors  # noqa: F401  (registers it)
    from ganseg_mm.models.data_preprocessors.pix2pixhd_data_preprocessor import \
        Pix2PixHDDataPreprocessor
    return Pix2PixHDDataPreprocessor(num_classes=NC)


def _batch(label, samples=None):
    n = len(label)
    data = dict(inputs=dict(label=[x[None] for x in label],
                            edge=[torch.zeros(1, 4, 6, dtype=torch.uint8)] * n))
    if samples is not None:
        data['data_samples'] = samples
    return data


def test_preprocessor_names_the_bad_map_without_file_names():
    pre = _preprocessor()
    with pytest.raises(DataValidationError, match=r'^label map 2 of the batch: label ids'):
        pre(_batch(_labels(bad=2)))


def test_preprocessor_names_the_bad_file_of_a_batch_of_three():
    from mmagic.structures import DataSample
    pre = _preprocessor()
    samples = [DataSample(metainfo=dict(seg_map_path=f'{n}.png')) for n in 'abc']
    pre(_batch(_labels(), samples))  # a good batch passes
    with pytest.raises(DataValidationError, match=r'^c.png: label ids \[7, 9\]'):
        pre(_batch(_labels(bad=2), samples))


def test_renderer_names_the_bad_file_of_a_batch(tmp_path, monkeypatch):
    """Each map is checked when read; a map that still reaches the condition
    with a bad id is named by its own file, not by the first of its batch."""
    from ganseg_mm.ganaug import renderer
    lab_dir = tmp_path / 'gtFine' / 'train' / 'synth'
    os.makedirs(lab_dir)
    for n in 'abc':
        (lab_dir / f'{n}_gtFine_labelTrainIds.png').write_bytes(b'')

    def read(path, num_classes, ignore_index):
        lab = np.zeros((4, 6), np.uint8)
        if osp.basename(path).startswith('b'):
            lab[1, 1] = 9
        return lab, np.zeros_like(lab)

    monkeypatch.setattr(renderer, 'read_condition_inputs', read)
    info = dict(num_classes=NC, ignore_index=255, use_instance=True)
    with pytest.raises(DataValidationError, match=r'b_gtFine_labelTrainIds.png: label ids \[9\]'):
        renderer.render_set(str(tmp_path), lambda c: torch.zeros(len(c), 3, 4, 6), info,
                            dict(generator='test'), batch_size=8, progress=False)
