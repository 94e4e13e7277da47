"""tools/datasetgan/*.py as a user runs them; bad input ends with one error line."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch


REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CS = ['--classes', 'cityscapes']  # import_annotations needs the annotation classes


def tool(name, sub='datasetgan'):
    path = osp.join(REPO, 'tools', sub, name + '.py')
    spec = importlib.util.spec_from_file_location(f'dgtool_{name}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _error(capsys, code, pattern):
    import re
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: ') and re.search(pattern, err[-1]), err


@pytest.fixture(scope='module')
def samples(tiny_gan, tmp_path_factory):  # noqa: F811
    out = str(tmp_path_factory.mktemp('samples') / 's')
    assert tool('generate_samples').main([*tiny_gan, out, '--num', '3', '--grid-cols', '2']) == 0
    return out


def test_generate_samples_outputs(samples):
    info = torch.load(osp.join(samples, 'latents.pt'), weights_only=False)
    assert info['w'].shape == (3, 16) and info['out_size'] == 16
    assert cv2.imread(osp.join(samples, 'images', 'sample_00002.png')).shape == (16, 16, 3)
    assert cv2.imread(osp.join(samples, 'grid.png')).shape == (2 * 18, 2 * 18, 3)


def test_generate_samples_checkpoint_not_matching_config(tiny_gan, tmp_path, capsys):  # noqa: F811
    bad = str(tmp_path / 'other.pth')
    sd = torch.load(tiny_gan[1], weights_only=False)['state_dict']
    # a generator of other widths: the constant input has 4 channels, not 8
    sd = {k: (torch.zeros(1, 4, 4, 4) if 'constant_input' in k else v) for k, v in sd.items()}
    torch.save(dict(state_dict=sd), bad)
    _error(capsys, tool('generate_samples').main([tiny_gan[0], bad, str(tmp_path / 'o')]),
           'other.pth: does not fit the generator of .*tiny_gan.py')


def _masks(d, arrays):
    os.makedirs(d, exist_ok=True)
    for name, m in arrays.items():
        cv2.imwrite(osp.join(d, name + '.png'), m)
    return d


def test_import_png_and_labelme(samples, tmp_path):
    src = _masks(str(tmp_path / 'src'), {'sample_00000': np.full((16, 16), 3, np.uint8)})
    with open(osp.join(src, 'sample_00001.json'), 'w') as f:
        json.dump(dict(imageHeight=16, imageWidth=16, shapes=[
            dict(label='sky', points=[[0, 0], [15, 0], [15, 7], [0, 7]])]), f)
    out = str(tmp_path / 'ann')
    assert tool('import_annotations').main([samples, src, out, *CS]) == 0
    assert (cv2.imread(osp.join(out, 'sample_00000.png'), 0) == 3).all()
    m = cv2.imread(osp.join(out, 'sample_00001.png'), 0)
    assert (m[:8] == 10).all() and (m[8:] == 255).all()  # sky = trainId 10


@pytest.mark.parametrize('mask,pattern', [
    (np.zeros((8, 8), np.uint8), r'sample_00000.png: annotation is \(8, 8\) \(w, h\), the '
                                 r'generated images are 16x16'),
    (np.full((16, 16), 19, np.uint8), r'sample_00000.png: label ids \[19\]'),
])
def test_import_bad_masks(samples, tmp_path, capsys, mask, pattern):
    src = _masks(str(tmp_path / 'src'), {'sample_00000': mask})
    out = str(tmp_path / 'ann')
    _error(capsys, tool('import_annotations').main([samples, src, out, *CS]), pattern)
    assert not osp.exists(out)  # nothing written when a file is bad


def test_import_annotation_without_sample(samples, tmp_path, capsys):
    src = _masks(str(tmp_path / 'src'), {'sample_00007': np.zeros((16, 16), np.uint8)})
    _error(capsys, tool('import_annotations').main([samples, src, str(tmp_path / 'a'), *CS]),
           'no generated sample sample_00007 .* \\(3 samples\\)')


def test_import_labelme_unknown_class(samples, tmp_path, capsys):
    src = str(tmp_path / 'src')
    os.makedirs(src)
    with open(osp.join(src, 'sample_00000.json'), 'w') as f:
        json.dump(dict(imageHeight=16, imageWidth=16, shapes=[
            dict(label='dragon', points=[[0, 0], [5, 0], [5, 5]])]), f)
    _error(capsys, tool('import_annotations').main([samples, src, str(tmp_path / 'a'), *CS]),
           "unknown class label 'dragon'")


def _interp_cfg(tmp_path, gan_cfg, samples, ann, num_classes=19):
    cfg = str(tmp_path / f'interp_{num_classes}.py')
    with open(cfg, 'w') as f:
        f.write(f"""_base_ = '{REPO}/configs/datasetgan/interpreter_demo.py'
gan_config = '{gan_cfg}'
model = dict(gan_config=gan_config, gan_checkpoint=None, pixels_per_image=64,
             head=dict(num_classes={num_classes}, num_members=2))
dataset = dict(samples_dir='{samples}', ann_dir='{ann}', gan_config=gan_config,
               classes=[str(i) for i in range({num_classes})])
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
train_cfg = dict(max_iters=2, val_interval=2)
""")
    return cfg


@pytest.mark.slow
def test_train_with_latents_of_another_generator(tiny_gan, samples, tmp_path, capsys):  # noqa
    src = _masks(str(tmp_path / 'src'), {'sample_00000': np.zeros((16, 16), np.uint8)})
    ann = str(tmp_path / 'ann')
    assert tool('import_annotations').main([samples, src, ann, *CS]) == 0
    other = str(tmp_path / 'other_gan.py')
    with open(tiny_gan[0]) as f:
        text = f.read().replace('style_channels=16', 'style_channels=32')
    with open(other, 'w') as f:
        f.write(text)
    cfg = _interp_cfg(tmp_path, other, samples, ann)
    code = tool('train', sub='').main([cfg, '--work-dir', str(tmp_path / 'w')])
    _error(capsys, code, 'latents.pt: latents have 16 channels but the generator takes '
                         'style_channels=32')


def test_generate_dataset_checkpoint_of_other_class_count(tiny_gan, samples, tmp_path,  # noqa
                                                          capsys):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    cfg5 = Config.fromfile(_interp_cfg(tmp_path, tiny_gan[0], samples, 'x', num_classes=5))
    cfg5.model.gan_checkpoint = tiny_gan[1]
    ckpt = str(tmp_path / 'interp5.pth')
    with DefaultScope.overwrite_default_scope('mmseg'):  # whatever scope earlier tests left
        torch.save(dict(state_dict=MODELS.build(cfg5.model).state_dict()), ckpt)
    cfg19 = _interp_cfg(tmp_path, tiny_gan[0], samples, 'x', num_classes=19)
    code = tool('generate_dataset').main([cfg19, ckpt, str(tmp_path / 'out'), '--num', '2'])
    _error(capsys, code, 'interp5.pth: ensemble of 2 MLPs with 5 classes, the config expects '
                         '2 MLPs with 19 classes')


@pytest.mark.slow
def test_annotate_with_segmenter(samples, tmp_path):
    from mmseg.apis import init_model
    seg_cfg = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')
    torch.manual_seed(0)
    model = init_model(seg_cfg, None, device='cpu')
    ckpt = str(tmp_path / 'seg.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    out = str(tmp_path / 'masks')
    assert tool('annotate_with_segmenter').main(
        [seg_cfg, ckpt, samples, out, '--num', '2']) == 0
    m = cv2.imread(osp.join(out, 'sample_00001.png'), cv2.IMREAD_UNCHANGED)
    assert m.shape == (16, 16) and m.max() < 19
    assert tool('import_annotations').main([samples, out, str(tmp_path / 'ann'), *CS]) == 0
