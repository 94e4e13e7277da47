"""Weak/strong views share geometry, erased pixels are marked; unlabeled
samples carry no labels."""
import numpy as np
import pytest
import torch
from mmcv.transforms import BaseTransform
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, TRANSFORMS

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.datasets.transforms import PhotometricRandAugment

init_default_scope('mmseg')


def _img(seed=0, h=32, w=48):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _pipeline(strong, flip=1.0):
    return [TRANSFORMS.build(t) for t in [
        dict(type='RandomCrop', crop_size=(24, 40)),
        dict(type='RandomFlip', prob=flip),
        dict(type='StrongView', transforms=strong),
        dict(type='PackUDAInputs')]]


def _run(pipeline, img):
    results = dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], seg_fields=[])
    for t in pipeline:
        results = t(results)
    return results


def test_identity_strong_view_equals_the_weak_view_after_random_geometry():
    np.random.seed(0)
    out = _run(_pipeline([dict(type='PhotometricRandAugment', ops=['identity'])]), _img())
    assert out['inputs'].shape == (3, 24, 40)
    assert out['inputs_strong'].equal(out['inputs'])
    assert 'gt_sem_seg' not in out['data_samples']


def test_strong_view_changes_pixels_but_not_geometry():
    np.random.seed(1)
    strong = [dict(type='PhotometricRandAugment', num_ops=2, magnitude=10,
                   ops=['solarize', 'brightness', 'contrast', 'posterize']),
              dict(type='RandomGaussianBlur', prob=1.0),
              dict(type='RandomCutOut', prob=1.0, n_holes=1, cutout_shape=(8, 8))]
    out = _run(_pipeline(strong), _img())
    assert out['inputs_strong'].shape == out['inputs'].shape
    assert not out['inputs_strong'].equal(out['inputs'])
    assert out['data_samples'].flip is True


def test_the_cutout_box_is_marked_invisible_and_only_it():
    np.random.seed(2)
    cut = dict(type='RandomCutOut', prob=1.0, n_holes=1, cutout_shape=(8, 8),
               fill_in=(0, 0, 0))
    out = _run(_pipeline([cut]), _img())
    visible = out['data_samples'].strong_visible.data[0]
    assert visible.shape == out['inputs'].shape[1:] and visible.dtype == torch.bool
    erased = (out['inputs_strong'] != out['inputs']).any(0)
    assert (~visible).sum() == 64  # the one 8x8 box
    assert erased.any() and not (erased & visible).any()  # what changed is marked
    rows, cols = np.nonzero((~visible).numpy())
    assert rows.ptp() == 7 and cols.ptp() == 7
    assert (out['inputs_strong'][:, ~visible] == 0).all()  # and it is the box


def test_the_ablation_leaves_the_box_a_target():
    np.random.seed(2)
    cut = dict(type='RandomCutOut', prob=1.0, n_holes=1, cutout_shape=(8, 8))
    pipeline = _pipeline([cut])
    pipeline[2] = TRANSFORMS.build(dict(type='StrongView', transforms=[cut],
                                        exclude_erased=False))
    out = _run(pipeline, _img())
    assert (out['inputs_strong'] != out['inputs']).any()
    assert 'strong_visible' not in out['data_samples']


def test_without_erasing_everything_is_visible():
    out = _run(_pipeline([dict(type='RandomGaussianBlur', prob=1.0)]), _img())
    assert out['data_samples'].strong_visible.data.all()


@TRANSFORMS.register_module(name='_TestWiden', force=True)
class _Widen(BaseTransform):
    """Changes the image size without a geometric name (the run-time check)."""

    def transform(self, results):
        results['img'] = np.pad(results['img'], ((0, 0), (0, 2), (0, 0)))
        return results


@TRANSFORMS.register_module(name='_TestToggleMirrorKey', force=True)
class _SetFlip(BaseTransform):
    def transform(self, results):
        results['flip'] = not results['flip']
        return results


@pytest.mark.parametrize('op', ['RandomFlip', 'Resize', 'RandomCrop', 'RandomRotate'])
def test_geometric_op_in_the_strong_view_is_refused_when_built(op):
    with pytest.raises(ValueError, match=op):
        TRANSFORMS.build(dict(type='StrongView', transforms=[dict(type=op)]))


def test_geometry_change_at_run_time_is_refused():
    with pytest.raises(DataValidationError, match='changed the image shape'):
        _run(_pipeline([dict(type='_TestWiden')]), _img())
    with pytest.raises(DataValidationError, match='geometry keys'):
        _run(_pipeline([dict(type='_TestToggleMirrorKey')]), _img())


def test_pack_without_strong_view_is_refused():
    pack = TRANSFORMS.build(dict(type='PackUDAInputs'))
    with pytest.raises(DataValidationError, match='StrongView'):
        pack(dict(img=_img(), img_path='x.png'))


@pytest.mark.parametrize('kwargs', [dict(ops=['rotate']), dict(num_ops=0),
                                    dict(magnitude=11)])
def test_randaugment_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        PhotometricRandAugment(**kwargs)


def _unlabeled_cfg(root, ann_file='', pipeline=None):
    return dict(
        type='UnlabeledDataset',
        dataset=dict(type='CityscapesDataset', data_root=root, ann_file=ann_file,
                     data_prefix=dict(img_path='leftImg8bit/train',
                                      seg_map_path='gtFine/train')),
        pipeline=pipeline or [dict(type='LoadImageFromFile'),
                              dict(type='StrongView', transforms=[]),
                              dict(type='PackUDAInputs')])


def test_unlabeled_dataset_loads_images_only(tiny_uda_root):
    ds = DATASETS.build(_unlabeled_cfg(tiny_uda_root, 'splits/1-4_seed0_unlabeled.txt'))
    assert len(ds) == 9
    assert ds.metainfo['classes'][0] == 'road'
    assert 'seg_map_path' not in ds.get_data_info(0)
    sample = ds[0]
    assert sample['inputs'].shape == (3, 128, 256)
    assert 'gt_sem_seg' not in sample['data_samples']


def test_unlabeled_dataset_refuses_label_loading(tiny_uda_root):
    with pytest.raises(ValueError, match='LoadAnnotations'):
        DATASETS.build(_unlabeled_cfg(tiny_uda_root, pipeline=[
            dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]))


def test_empty_unlabeled_set_is_an_error(tiny_uda_root, tmp_path):
    empty = tmp_path / 'empty.txt'
    empty.write_text('')
    with pytest.raises(DataValidationError, match='empty'):
        DATASETS.build(_unlabeled_cfg(tiny_uda_root, ann_file=str(empty)))
