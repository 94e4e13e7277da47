"""Interpreter model and dataset generation: sharded, resumable, filtered."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from ganseg_mm.datasetgan.generation import (finalize, label_images,
                                             sample_w)
from ganseg_mm.datasetgan.interpreter import load_interpreter
from ganseg_mm.utils.errors import DataValidationError


def _model(tiny_gan, num_classes=3):
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):  # whatever scope earlier tests left
        return MODELS.build(dict(
            type='DatasetGANInterpreter', gan_config=tiny_gan[0], gan_checkpoint=tiny_gan[1],
            pixels_per_image=50,
            head=dict(type='DatasetGANInterpreterHead', num_classes=num_classes,
                      num_members=3))).eval()


def test_interpreter_loss_and_predict(tiny_gan):
    model = _model(tiny_gan)
    assert model.head.in_channels == 5 * 8
    w = sample_w(model.generator, [0, 1])
    gt = torch.randint(0, 3, (2, 16, 16))
    gt[0, :8] = 255  # ignored pixels are never sampled
    model.train()
    assert not model.generator.training
    losses = model(w, gt, mode='loss')
    assert set(losses) == {'loss_ce', 'acc'} and torch.isfinite(losses['loss_ce'])
    assert model._sample_pixels(gt[0])[:, 0].min() >= 8
    model.eval()
    out = model(w, gt, mode='predict')
    assert out[0].pred_sem_seg.data.shape == (1, 16, 16)
    labels, js = model(w, mode='tensor')
    model.predict_chunk = 7  # chunking does not change the result
    labels2, js2 = model(w, mode='tensor')
    assert torch.equal(labels, labels2) and torch.allclose(js, js2, atol=1e-6)
    with pytest.raises(ValueError, match='do not match the generator'):
        model(torch.zeros(2, 5), mode='tensor')


def _files(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_shards_and_resume_equal_one_run(tiny_gan, tmp_path):
    model = _model(tiny_gan)
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    assert label_images(model, one, 10, seed=5, progress=False) == 10
    assert label_images(model, one, 10, seed=5, progress=False) == 0  # resumed: nothing left
    m1 = finalize(one, 10, 0.2)
    assert label_images(model, two, 10, seed=5, shard=(1, 2), progress=False) == 5
    assert finalize(two, 10, 0.2) is None  # shard 0 still missing
    label_images(model, two, 10, seed=5, shard=(0, 2), progress=False)
    m2 = finalize(two, 10, 0.2)
    assert m1['num_kept'] == m2['num_kept'] == 8
    assert _files(one) == _files(two)
    for f in _files(one):
        if f.endswith('.png'):
            assert open(osp.join(one, f), 'rb').read() == open(osp.join(two, f), 'rb').read()
    dropped = [r for r in m1['images'] if not r['kept']]
    kept = [r for r in m1['images'] if r['kept']]
    assert min(r['score'] for r in dropped) >= max(r['score'] for r in kept)
    imgs = [f for f in _files(one) if f.startswith('leftImg8bit/train/datasetgan/')]
    assert len(imgs) == 8 and not osp.exists(osp.join(one, '_work'))
    with open(osp.join(one, 'manifest.json')) as f:
        assert json.load(f)['num_generated'] == 10


def test_checkpoint_with_other_class_count(tiny_gan, tmp_path):
    ckpt = str(tmp_path / 'interp.pth')
    torch.save(dict(state_dict=_model(tiny_gan, num_classes=4).state_dict()), ckpt)
    cfg = Config(dict(model=dict(
        type='DatasetGANInterpreter', gan_config=tiny_gan[0],
        head=dict(type='DatasetGANInterpreterHead', num_classes=3, num_members=3))))
    with pytest.raises(DataValidationError, match='ensemble of 3 MLPs with 4 classes, the '
                                                  'config expects 3 MLPs with 3 classes'):
        load_interpreter(cfg, ckpt)
    torch.save(dict(state_dict=_model(tiny_gan, num_classes=3).state_dict()), ckpt)
    model = load_interpreter(cfg, ckpt)
    labels = model.label_latents(sample_w(model.generator, [0]))[1]
    assert labels.shape == (1, 16, 16) and np.isin(labels.numpy(), [0, 1, 2]).all()
