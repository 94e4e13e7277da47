"""import_annotations.py has no default class set: the classes are the
interpreter's (``--config``) or given (``--classes``); ids outside them end with
one error line naming the file and the ids."""
import importlib.util
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SIX = ('road', 'sidewalk', 'building', 'sky', 'car', 'person')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'import_annotations_tool', osp.join(REPO, 'tools/datasetgan/import_annotations.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def data(tmp_path):
    """A samples dir of 3 latents (16 px) and a source dir with one PNG mask."""
    from ganseg_mm.datasetgan.annotations import save_latents
    samples, src = str(tmp_path / 'samples'), str(tmp_path / 'src')
    save_latents(osp.join(samples, 'latents.pt'), dict(
        w=torch.zeros(3, 16), out_size=16, style_channels=16, gan_config='gan.py',
        gan_checkpoint='gan.pth', seed=0, truncation=1.0))
    os.makedirs(src)
    mask = np.full((16, 16), 5, np.uint8)
    mask[0] = 255
    cv2.imwrite(osp.join(src, 'sample_00001.png'), mask)
    cfg = str(tmp_path / 'interp_6.py')
    with open(cfg, 'w') as f:  # what an interpreter config says about its data
        f.write(f'classes = {SIX!r}\n'
                'train_dataloader = dict(dataset=dict(type="DatasetGANAnnotationDataset", '
                'classes=classes))\n')
    return samples, src, str(tmp_path / 'out'), cfg


def _error(capsys, code, pattern):
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: ') and re.search(pattern, err[-1]), err


def test_class_set_is_required(data, capsys):
    samples, src, out, _ = data
    with pytest.raises(SystemExit) as e:
        _tool().main([samples, src, out])
    assert e.value.code == 2
    assert 'one of the arguments --config --classes is required' in capsys.readouterr().err
    assert not osp.exists(out)


@pytest.mark.parametrize('how', ['config', 'names'])
def test_ids_outside_six_classes_name_the_file_and_ids(data, capsys, how):
    samples, src, out, cfg = data
    cv2.imwrite(osp.join(src, 'sample_00002.png'), np.array([[7, 0, 12] * 5 + [0]] * 16,
                                                            np.uint8))
    classes = ['--config', cfg] if how == 'config' else ['--classes', *SIX]
    _error(capsys, _tool().main([samples, src, out, *classes]),
           r'sample_00002.png: label ids \[7, 12\] are outside 0..5')
    assert not osp.exists(out)  # nothing written when a file is bad


def test_six_class_set_from_the_interpreter_config(data, capsys):
    samples, src, out, cfg = data
    assert _tool().main([samples, src, out, '--config', cfg]) == 0
    assert '1 annotations (6 classes)' in capsys.readouterr().out
    assert (cv2.imread(osp.join(out, 'sample_00001.png'), 0)[1:] == 5).all()


def test_the_demo_interpreter_config_gives_its_19_classes(data):
    samples, src, out, _ = data
    cfg = osp.join(REPO, 'configs/datasetgan/interpreter_demo.py')
    assert _tool().main([samples, src, out, '--config', cfg]) == 0


def test_config_without_classes_or_missing(data, tmp_path, capsys):
    samples, src, out, _ = data
    cfg = str(tmp_path / 'no_classes.py')
    with open(cfg, 'w') as f:
        f.write('train_dataloader = dict(dataset=dict(type="X"))\n')
    _error(capsys, _tool().main([samples, src, out, '--config', cfg]),
           'no_classes.py: train_dataloader.dataset has no classes')
    _error(capsys, _tool().main([samples, src, out, '--config', str(tmp_path / 'nope.py')]),
           'nope.py: interpreter config not found')
