"""Annotation import checks: sizes, class ids, labelme polygons, latent files."""
import json

import numpy as np
import pytest
import torch

from ganseg_mm.datasetgan.annotations import labelme_to_mask, save_latents
from ganseg_mm.datasets.datasetgan_annotation_dataset import check_mask, load_latents
from ganseg_mm.utils.errors import DataValidationError


def _latents(path, channels=16, size=16, n=3):
    save_latents(path, dict(w=torch.randn(n, channels), out_size=size, style_channels=channels,
                            gan_config='g.py', gan_checkpoint='g.pth', seed=0, truncation=1.0))


def test_check_mask_accepts_known_ids_and_ignore():
    m = np.array([[0, 1], [255, 2]], np.uint8)
    assert check_mask(m, 2, 3).tolist() == m.tolist()


def test_check_mask_wrong_size():
    with pytest.raises(DataValidationError, match=r'a.png: annotation is \(3, 2\)'):
        check_mask(np.zeros((2, 3), np.uint8), 2, 3, source='a.png')


def test_check_mask_unknown_ids():
    with pytest.raises(DataValidationError, match=r'label ids \[3, 7\]'):
        check_mask(np.array([[0, 3], [7, 255]], np.uint8), 2, 3)


def test_labelme_polygons_rasterized_in_order(tmp_path):
    p = tmp_path / 'sample_00000.json'
    p.write_text(json.dumps(dict(imageHeight=8, imageWidth=8, shapes=[
        dict(label='road', points=[[0, 4], [7, 4], [7, 7], [0, 7]], shape_type='polygon'),
        dict(label='2', points=[[0, 0], [3, 3]], shape_type='rectangle')])))
    m = labelme_to_mask(str(p), ['road', 'sidewalk', 'building'])
    assert (m[4:, :] == 0).all() and (m[:4, :4] == 2).all() and (m[:4, 4:] == 255).all()


def test_labelme_unknown_label(tmp_path):
    p = tmp_path / 'sample_00000.json'
    p.write_text(json.dumps(dict(imageHeight=4, imageWidth=4, shapes=[
        dict(label='unicorn', points=[[0, 0], [3, 0], [3, 3]])])))
    with pytest.raises(DataValidationError, match="unknown class label 'unicorn'"):
        labelme_to_mask(str(p), ['road'])


def test_labelme_not_json(tmp_path):
    p = tmp_path / 'sample_00000.json'
    p.write_text('{')
    with pytest.raises(DataValidationError, match='not a labelme JSON'):
        labelme_to_mask(str(p), ['road'])


def test_latent_file_must_match_generator(tmp_path):
    path = str(tmp_path / 'latents.pt')
    _latents(path, channels=16, size=16)
    assert load_latents(path, 16, 16)['w'].shape == (3, 16)
    with pytest.raises(DataValidationError, match='latents have 16 channels but the generator '
                                                  'takes style_channels=32'):
        load_latents(path, style_channels=32)
    with pytest.raises(DataValidationError, match='made for a 16 px generator, this one is 64'):
        load_latents(path, out_size=64)
    torch.save({'w': torch.zeros(2, 2)}, path)
    with pytest.raises(DataValidationError, match='not a latent file'):
        load_latents(path)


@pytest.mark.parametrize('n,fraction,held', [
    (16, 0.125, {15, 7}), (2, 0.125, {1}), (4, 0.5, {3, 1}), (1, 0.5, set()),
    (5, 0.0, set()), (3, 0.9, {2, 1})])
def test_heldout_indices(n, fraction, held):
    from ganseg_mm.datasets.datasetgan_annotation_dataset import heldout_indices
    assert heldout_indices(n, fraction) == held


def test_interpreter_trains_and_validates_on_disjoint_annotations(tmp_path):
    """Early stopping watches annotations the interpreter never trained on."""
    import cv2
    from ganseg_mm.datasets import DatasetGANAnnotationDataset
    from ganseg_mm.datasets.datasetgan_annotation_dataset import sample_name
    _latents(str(tmp_path / 'latents.pt'), n=8)
    ann = tmp_path / 'ann'
    ann.mkdir()
    for i in range(8):
        cv2.imwrite(str(ann / f'{sample_name(i)}.png'), np.full((16, 16), i % 3, np.uint8))
    parts = {p: DatasetGANAnnotationDataset(str(tmp_path), str(ann), ['a', 'b', 'c'],
                                            heldout_fraction=0.25, part=p)
             for p in ('all', 'train', 'heldout')}
    assert parts['heldout'].index == [3, 7]
    assert sorted(parts['train'].index + parts['heldout'].index) == parts['all'].index
    with pytest.raises(ValueError, match='part must be one of'):
        DatasetGANAnnotationDataset(str(tmp_path), str(ann), ['a', 'b', 'c'], part='val')
