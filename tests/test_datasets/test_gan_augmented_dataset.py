"""GANAugmentedDataset: mixing, repeat factors, metainfo, lazy init, errors, a real loader."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.datasets.gan_augmented_dataset import GANAugmentedDataset
from tests.test_ganaug.ganaug_helpers import make_synthetic_set

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
