"""RareClassSamplingDataset: DAFormer's class distribution, image eligibility,
crop biasing, a fixed seeded index, class statistics read once and cached
(real label maps, GAN-augmented manifests), errors, a real loader."""
import glob
import json
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from ganseg_mm.datasets import class_stats
from ganseg_mm.datasets.gan_augmented_dataset import GANAugmentedDataset
from ganseg_mm.datasets.rare_class_sampling_dataset import (RareClassSamplingDataset,
                                                            rcs_class_probabilities)
from ganseg_mm.utils.errors import DataValidationError
from tests.test_ganaug.ganaug_helpers import make_synthetic_set

PIPE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')]


class _Table:
    """A dataset whose per-image class pixels are given; sample ``j`` is a 10x10
    crop holding class ``c`` only when ``crop_hit(j, c)`` says so."""

    def __init__(self, table, hit_rate=1.0, seed=0):
        self.table = np.asarray(table, np.int64)
        self.metainfo = dict(classes=tuple(f'c{i}' for i in range(self.table.shape[1])))
        self.hit_rate, self.rng, self.calls = hit_rate, np.random.default_rng(seed), 0

    def image_class_pixels(self, cache_dir=None, progress=False):
        return self.table

    def __len__(self):
        return len(self.table)

    def get_data_info(self, j):
        return dict(img_path=f'img{j}.png', seg_map_path=f'lab{j}.png')

    def __getitem__(self, j):
        self.calls += 1
        present = [c for c in np.flatnonzero(self.table[j])
                   if self.rng.random() < self.hit_rate]
        seg = torch.full((1, 10, 10), 255, dtype=torch.int64)
        for k, c in enumerate(present):
            seg[0, k] = int(c)  # a row of 10 pixels per class kept in the crop
        sample = SegDataSample(gt_sem_seg=PixelData(data=seg))
        return dict(inputs=torch.zeros(3, 10, 10), data_samples=sample, image=j)


# class 0 everywhere (common), class 1 in images 0-4, class 2 only in image 5
# (rare), class 3 in image 6 but below min_pixels, class 4 absent
TABLE = [[1000, 100, 0, 0, 0]] * 5 + [[1000, 0, 200, 0, 0], [1000, 0, 0, 20, 0]]


def test_class_probabilities_by_hand():
    p = rcs_class_probabilities([900, 90, 10, 0], temperature=0.1)
    logits = np.array([0.1, 0.91, 0.99]) / 0.1
    want = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(p[:3], want)
    assert p[3] == 0  # absent classes are never drawn
    assert p[2] > p[1] > p[0]  # the rarer, the likelier
    np.testing.assert_allclose(rcs_class_probabilities([900, 90, 10, 0], 1e6)[:3], 1 / 3,
                               rtol=1e-4)  # high temperature: uniform over present classes
    with pytest.raises(DataValidationError, match='no labelled pixels'):
        rcs_class_probabilities([0, 0], 0.1)


def test_index_follows_the_class_distribution_and_eligible_images():
    ds = RareClassSamplingDataset(_Table(TABLE), temperature=0.1, min_pixels=50,
                                  num_samples=20000, seed=0, cache_dir=None)
    assert len(ds) == 20000
    totals = np.array(TABLE).sum(0)
    want = rcs_class_probabilities(totals, 0.1)
    want[3] = 0  # no image holds min_pixels of class 3
    want /= want.sum()
    np.testing.assert_allclose(ds.class_probabilities, want)
    drawn = np.bincount(ds.index[:, 0], minlength=5) / len(ds)
    np.testing.assert_allclose(drawn, want, atol=0.015)
    assert drawn[2] > drawn[1] > drawn[0]  # rarest class most often
    for c, j in ds.index:  # every image drawn for c holds min_pixels of c
        assert TABLE[j][c] >= 50
    # images of class 1 are drawn uniformly
    ones = ds.index[ds.index[:, 0] == 1, 1]
    np.testing.assert_allclose(np.bincount(ones, minlength=5)[:5] / len(ones), 0.2, atol=0.03)
    assert ds.get_data_info(0)['img_path'] == f'img{ds.index[0, 1]}.png'
    assert ds.sampled_class(0) == ds.index[0, 0]
    assert ds.metainfo['classes'][0] == 'c0'


def test_index_is_fixed_by_the_seed():
    def index(**kw):
        return RareClassSamplingDataset(_Table(TABLE), temperature=1, min_pixels=50,
                                        cache_dir=None, **kw).index
    assert np.array_equal(index(seed=3), index(seed=3))  # every rank builds the same
    assert not np.array_equal(index(seed=3), index(seed=4))
    np.random.seed(7)  # seed=None: numpy's global state, which mmengine seeds per run
    a = index(seed=None)
    np.random.seed(7)
    assert np.array_equal(a, index(seed=None))
    assert len(index(seed=0)) == len(TABLE)  # num_samples defaults to the dataset size


def test_crops_are_rerun_until_they_hold_the_sampled_class():
    table = [[1000, 100]] * 4

    def hits(ratio, tries=10):
        inner = _Table(table, hit_rate=0.2, seed=1)
        ds = RareClassSamplingDataset(inner, temperature=1e-3, min_pixels=10,
                                      min_crop_ratio=ratio, crop_tries=tries,
                                      num_samples=300, seed=0, cache_dir=None)
        assert set(ds.index[:, 0]) == {1}
        n = sum(int((ds[i]['data_samples'].gt_sem_seg.data == 1).sum()) >= 5
                for i in range(len(ds)))
        return n / len(ds), inner.calls / len(ds)

    unbiased, calls = hits(0.0)
    assert calls == 1 and 0.1 < unbiased < 0.3
    biased, calls = hits(0.5)
    assert biased > 0.8 and 1 < calls <= 10  # 1 - 0.8**10 = 0.89 in expectation
    assert hits(0.5, tries=1)[1] == 1


def test_errors():
    with pytest.raises(DataValidationError, match='lower min_pixels'):
        RareClassSamplingDataset(_Table(TABLE), min_pixels=10**6, cache_dir=None)
    for kw, msg in ((dict(temperature=0), 'temperature'), (dict(min_pixels=0), 'min_pixels'),
                    (dict(min_crop_ratio=-1), 'min_crop_ratio'), (dict(crop_tries=0), 'crop_tries'),
                    (dict(num_samples=0), 'num_samples')):
        with pytest.raises(ValueError, match=msg):
            RareClassSamplingDataset(_Table(TABLE), cache_dir=None, **kw)


def _real(root):
    return dict(type='CityscapesDataset', data_root=root, pipeline=PIPE,
                data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))


def _bincounts(paths):
    return np.stack([np.bincount(cv2.imread(p, cv2.IMREAD_UNCHANGED).ravel(),
                                 minlength=256)[:19] for p in paths])


def test_class_pixels_of_real_labels_are_read_once_and_cached(tiny_demo_root, tmp_path,
                                                              monkeypatch):
    init_default_scope('mmseg')
    cache = str(tmp_path / 'cache')
    ds = RareClassSamplingDataset(_real(tiny_demo_root), min_pixels=50, cache_dir=cache,
                                  lazy_init=True)
    assert not ds._fully_initialized
    table = class_stats.image_class_pixels(ds.dataset, cache)
    want = _bincounts([ds.dataset.get_data_info(i)['seg_map_path']
                       for i in range(len(ds.dataset))])
    assert table.shape == (12, 19) and np.array_equal(table, want)
    files = glob.glob(osp.join(cache, 'class_pixels_*.json'))
    assert len(files) == 1
    stored = json.load(open(files[0]))
    first = sorted(stored['pixels'])[0]
    stored['pixels'][first][0] = -1  # a reused cache returns its content ...
    open(files[0], 'w').write(json.dumps(stored))
    assert (class_stats.image_class_pixels(ds.dataset, cache)[:, 0] == -1).sum() == 1
    label = ds.dataset.get_data_info(0)['seg_map_path']
    os.utime(label, ns=(1, 1))  # ... until a label file changes: a new cache file
    assert np.array_equal(class_stats.image_class_pixels(ds.dataset, cache), want)
    assert len(glob.glob(osp.join(cache, 'class_pixels_*.json'))) == 2
    # the wrapper itself reads through the cache: no label file is opened again
    monkeypatch.setattr(class_stats, '_count', lambda *a: pytest.fail('label read again'))
    ds.full_init()
    for c, j in ds.index:
        assert want[j, c] >= 50
    sample = ds[0]
    assert sample['inputs'].shape[-2:] == sample['data_samples'].gt_sem_seg.data.shape[-2:]
    assert int((sample['data_samples'].gt_sem_seg.data == ds.sampled_class(0)).sum()) >= 25


def test_a_gan_augmented_set_counts_synthetic_samples_from_its_manifest(tiny_demo_root,
                                                                        tmp_path):
    synth = make_synthetic_set(tiny_demo_root, str(tmp_path / 'ganaug'), num=4)
    init_default_scope('mmseg')  # the GAN tools leave mmagic's
    mixed = GANAugmentedDataset(_real(tiny_demo_root), synthetic_root=synth,
                                synthetic_ratio=0.5)
    table = class_stats.image_class_pixels(mixed, str(tmp_path / 'cache'))
    assert table.shape == (len(mixed), 19)
    manifest = {osp.basename(m['img']): m['class_pixels'] for m in
                json.load(open(osp.join(synth, 'manifest.json')))['images']}
    for i in range(len(mixed)):
        info = mixed.get_data_info(i)
        if mixed.is_synthetic(i):
            want = np.zeros(19, np.int64)
            for c, n in manifest[osp.basename(info['img_path'])].items():
                if int(c) < 19:  # not the ignore index
                    want[int(c)] = n
        else:
            want = _bincounts([info['seg_map_path']])[0]
        assert np.array_equal(table[i], want), i
    rcs = RareClassSamplingDataset(mixed, min_pixels=50, cache_dir=str(tmp_path / 'cache'))
    assert len(rcs) == len(mixed) and rcs.index[:, 1].max() < len(mixed)


def test_class_statistics_bad_input(demo_copy, tmp_path, monkeypatch):
    init_default_scope('mmseg')
    from mmseg.registry import DATASETS
    ds = DATASETS.build(_real(demo_copy))
    want = class_stats.image_class_pixels(ds, None)
    cache = str(tmp_path / 'cache')
    class_stats.image_class_pixels(ds, cache)
    (path,) = glob.glob(osp.join(cache, '*.json'))
    open(path, 'w').write('{"fingerprint": ')  # a corrupt cache is counted again
    assert np.array_equal(class_stats.image_class_pixels(ds, cache), want)
    with monkeypatch.context() as m:  # an unwritable cache costs a recount, not the run
        m.setattr(class_stats, 'atomic_write_text',
                  lambda *a: (_ for _ in ()).throw(PermissionError('read-only')))
        with pytest.warns(UserWarning, match='not cached.*read-only'):
            assert np.array_equal(class_stats.image_class_pixels(ds, str(tmp_path / 'ro')),
                                  want)
    label = ds.get_data_info(3)['seg_map_path']
    os.remove(label)
    with pytest.raises(DataValidationError, match=re.escape(label) + ': label map missing'):
        class_stats.image_class_pixels(ds, cache)
