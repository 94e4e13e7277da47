"""GANAugmentedDataset: mixing, repeat factors, metainfo, lazy init, errors, a real loader."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.datasets.gan_augmented_dataset import GANAugmentedDataset
from tests.test_ganaug.ganaug_helpers import make_synthetic_set, write_alignment

PIPE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')]


@pytest.fixture(scope='module')
def synth_root(tiny_demo_root, tmp_path_factory):
    return make_synthetic_set(tiny_demo_root, str(tmp_path_factory.mktemp('ganaug')), num=6)


def _real(root):
    return dict(type='CityscapesDataset', data_root=root, pipeline=PIPE,
                data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))


def _ds(root, synth, **kw):
    init_default_scope('mmseg')
    return GANAugmentedDataset(_real(root), synthetic_root=synth, **kw)


def test_ratio_mix_is_fixed_and_complete(tiny_demo_root, synth_root):
    ds = _ds(tiny_demo_root, synth_root, synthetic_ratio=0.5)
    assert len(ds) == 24  # 12 real + 12 synthetic (6 cycled twice)
    syn = [i for i in range(len(ds)) if ds.is_synthetic(i)]
    assert len(syn) == 12
    names = sorted(osp.basename(ds.get_data_info(i)['img_path']) for i in syn)
    assert names == sorted(n for n in set(names) for _ in range(2))  # each twice
    again = _ds(tiny_demo_root, synth_root, synthetic_ratio=0.5)
    assert np.array_equal(ds.index, again.index)  # same on every rank
    other = _ds(tiny_demo_root, synth_root, synthetic_ratio=0.5, seed=1)
    assert not np.array_equal(ds.index, other.index)
    assert len(_ds(tiny_demo_root, synth_root, synthetic_ratio=0.0)) == 12
    sample = ds[syn[0]]
    assert 'synth' in sample['data_samples'].img_path
    assert sample['inputs'].shape[-2:] == sample['data_samples'].gt_sem_seg.data.shape[-2:]


def test_repeat_factors_favour_rare_classes(tiny_demo_root, synth_root):
    ds = _ds(tiny_demo_root, synth_root, mode='repeat_factor', repeat_thr=0.9)
    f = ds.repeat_factors()
    with open(osp.join(synth_root, 'manifest.json')) as fh:
        images = json.load(fh)['images']
    counts = {}
    for m in images:
        for c in m['class_pixels']:
            counts[c] = counts.get(c, 0) + 1
    # the image holding the rarest class gets the largest factor
    rarest = min((c for c in counts if int(c) < 19), key=lambda c: counts[c])
    holder = [i for i in range(len(ds.synthetic)) if rarest in images[i]['class_pixels']]
    assert max(f) == pytest.approx(f[holder[0]]) and max(f) > 1
    assert all(v >= 1 for v in f)
    n_syn = sum(ds.is_synthetic(i) for i in range(len(ds)))
    assert np.floor(f).sum() <= n_syn <= np.ceil(f).sum()


def test_metainfo_copy_lazy_init_and_loader(tiny_demo_root, synth_root):
    ds = _ds(tiny_demo_root, synth_root, lazy_init=True)
    assert not ds._fully_initialized
    meta = ds.metainfo
    meta['classes'] = ()
    assert len(ds.metainfo['classes']) == 19
    assert len(ds) == 16 and ds._fully_initialized
    from mmengine.dataset import DefaultSampler, pseudo_collate
    from torch.utils.data import DataLoader
    dl = DataLoader(ds, batch_size=4, sampler=DefaultSampler(ds, shuffle=True, seed=0),
                    collate_fn=pseudo_collate)
    assert sum(len(b['inputs']) for b in dl) == 16


def test_errors(tiny_demo_root, synth_root, tmp_path):
    with pytest.raises(ValueError, match="mode must be one of"):
        _ds(tiny_demo_root, synth_root, mode='mix')
    with pytest.raises(ValueError, match=r'synthetic_ratio must be in \[0, 1\), got 1.0'):
        _ds(tiny_demo_root, synth_root, synthetic_ratio=1.0)
    with pytest.raises(ValueError, match='repeat_thr must be > 0'):
        _ds(tiny_demo_root, synth_root, repeat_thr=0)
    with pytest.raises(DataValidationError, match='does not exist'):
        _ds(tiny_demo_root, str(tmp_path / 'none'))
    os.makedirs(tmp_path / 'half')
    with pytest.raises(DataValidationError, match='manifest.json: missing'):
        _ds(tiny_demo_root, str(tmp_path / 'half'))
    (tmp_path / 'half' / 'compose_manifest.json').write_text('{}')
    with pytest.raises(DataValidationError, match='synth_train.txt: missing'):
        _ds(tiny_demo_root, str(tmp_path / 'half'), online=dict(config='c', checkpoint='k'))


def test_online_synthesis_equals_offline(tiny_demo_root, synth_root):
    """online=...: the images are rendered in the pipeline, identical to
    tools/ganaug/synthesize.py."""
    from tests.test_ganaug.ganaug_helpers import GAN_DEMO
    ckpt = osp.join(osp.dirname(synth_root), 'gan.pth')
    online = _ds(tiny_demo_root, synth_root, mode='repeat_factor',
                 online=dict(config=GAN_DEMO, checkpoint=ckpt))
    offline = _ds(tiny_demo_root, synth_root, mode='repeat_factor')
    assert online.manifest_path.endswith('compose_manifest.json')
    assert np.array_equal(online.index, offline.index)  # same repeat factors
    i = next(i for i in range(len(online)) if online.is_synthetic(i))
    a, b = online[i], offline[i]
    assert a['data_samples'].seg_map_path == b['data_samples'].seg_map_path
    assert (a['inputs'].int() - b['inputs'].int()).abs().max() <= 1  # PNG round trip
    with pytest.raises(ValueError, match='online needs config and checkpoint'):
        _ds(tiny_demo_root, synth_root, online=dict(config=GAN_DEMO))


def test_online_cuda_in_a_forked_worker_says_how_to_render_on_a_gpu(monkeypatch):
    """CUDA cannot start in a forked worker: one error naming the settings that
    work, before any CUDA call; spawned workers and the main process pass."""
    import multiprocessing as mp

    import torch.utils.data as tud
    from ganseg_mm.datasets.transforms.loading import _check_cuda_start_method
    monkeypatch.setattr(tud, 'get_worker_info', lambda: object())
    monkeypatch.setattr(mp, 'get_start_method', lambda allow_none=False: 'fork')
    with pytest.raises(DataValidationError, match="mp_start_method='spawn'.*num_workers=0"):
        _check_cuda_start_method('cuda:0')
    _check_cuda_start_method('cpu')
    monkeypatch.setattr(mp, 'get_start_method', lambda allow_none=False: 'spawn')
    _check_cuda_start_method('cuda:0')
    monkeypatch.setattr(tud, 'get_worker_info', lambda: None)
    monkeypatch.setattr(mp, 'get_start_method', lambda allow_none=False: 'fork')
    _check_cuda_start_method('cuda')


def _synthetic_names(ds):
    return {osp.basename(ds.get_data_info(i)['img_path'])[:-len('_leftImg8bit.png')]
            for i in range(len(ds)) if ds.is_synthetic(i)}


def test_alignment_filter_keeps_only_the_images_that_pass(tiny_demo_root, synth_root,
                                                          tmp_path):
    """min_alignment and drop_worst leave out exactly the low-scored images, in
    both modes; the real samples are untouched."""
    path = str(tmp_path / 'alignment.json')
    names = write_alignment(synth_root, path, [0.9, 0.1, 0.6, None, 0.3, 0.8])
    ds = _ds(tiny_demo_root, synth_root, synthetic_ratio=0.5, min_alignment=0.5,
             alignment=path)
    assert len(ds) == 24 and _synthetic_names(ds) == {names[0], names[2], names[5]}
    ds = _ds(tiny_demo_root, synth_root, synthetic_ratio=0.5, drop_worst=0.5,
             alignment=path)  # the worst 3: unscored, 0.1, 0.3
    assert _synthetic_names(ds) == {names[0], names[2], names[5]}
    ds = _ds(tiny_demo_root, synth_root, synthetic_ratio=0.5, drop_worst=0.2,
             min_alignment=0.2, alignment=path)  # drops the unscored one, then 0.1
    assert _synthetic_names(ds) == {names[0], names[2], names[4], names[5]}
    rf = _ds(tiny_demo_root, synth_root, mode='repeat_factor', min_alignment=0.5,
             alignment=path)
    f = rf.repeat_factors(np.flatnonzero(rf.aligned()))
    assert list(f > 0) == [True, False, True, False, False, True]
    assert _synthetic_names(rf) == {names[0], names[2], names[5]}
    assert sum(not rf.is_synthetic(i) for i in range(len(rf))) == 12


def test_alignment_filter_errors(tiny_demo_root, synth_root, tmp_path):
    with pytest.raises(DataValidationError, match='alignment.json: missing'):
        _ds(tiny_demo_root, synth_root, min_alignment=0.5)
    with pytest.raises(ValueError, match=r'drop_worst must be in \[0, 1\)'):
        _ds(tiny_demo_root, synth_root, drop_worst=1.0)
    with pytest.raises(ValueError, match=r'min_alignment must be in \[0, 1\]'):
        _ds(tiny_demo_root, synth_root, min_alignment=50)
    path = str(tmp_path / 'alignment.json')
    write_alignment(synth_root, path, [0.1] * 6)
    with pytest.raises(DataValidationError, match='no synthetic image passes'):
        _ds(tiny_demo_root, synth_root, min_alignment=0.5, alignment=path)
    write_alignment(synth_root, path, [0.9] * 5)  # scored before the set grew
    with pytest.raises(DataValidationError, match='no score for .* rerun'):
        _ds(tiny_demo_root, synth_root, min_alignment=0.5, alignment=path)
