"""tools/ganaug/{extract_classes,compose_labels,synthesize,analyze_labels}.py as
users run them."""
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest

from tests.test_ganaug.ganaug_helpers import GAN_DEMO, tiny_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_DEMO = 'configs/baseline/deeplabv3_r18_demo.py'


def _tool(name):
    path = osp.join(REPO, 'tools', 'ganaug', name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _root_opt(root):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={root}/']


@pytest.fixture(scope='module')
def composed(tiny_demo_root, tmp_path_factory):
    """Repository and 6 composed maps raising bus and bicycle (rare, and present in
    the tiny demo data), plus a tiny checkpoint."""
    work = str(tmp_path_factory.mktemp('tools'))
    repo, out = osp.join(work, 'repo'), osp.join(work, 'synth')
    assert _tool('extract_classes')([SEG_DEMO, '--out', repo] + _root_opt(tiny_demo_root)) == 0
    assert _tool('compose_labels')([SEG_DEMO, '--repo', repo, '--out', out, '--num', '6',
                                    '--target', '{"15": 20, "18": 20}'] +
                                   _root_opt(tiny_demo_root)) == 0
    return dict(work=work, repo=repo, out=out,
                ckpt=tiny_checkpoint(osp.join(work, 'gan.pth')))


def _images(root):
    return sorted(glob.glob(osp.join(root, 'leftImg8bit', 'train', 'synth', '*.png')))


def test_full_chain_resume_and_analysis(composed, tiny_demo_root, tmp_path, capsys):
    out = str(tmp_path / 'synth')
    import shutil
    shutil.copytree(composed['out'], out)
    with open(osp.join(out, 'compose_manifest.json')) as f:
        cm = json.load(f)
    assert cm['distance_after'] < cm['distance_before']
    synth = _tool('synthesize')
    assert synth([GAN_DEMO, composed['ckpt'], '--root', out, '--batch-size', '4']) == 0
    imgs = _images(out)
    assert len(imgs) == 6 and not glob.glob(osp.join(out, '**', '*.tmp'), recursive=True)
    lab = imgs[0].replace('leftImg8bit', 'gtFine', 1).replace(
        '_leftImg8bit.png', '_gtFine_labelTrainIds.png')
    assert cv2.imread(imgs[0]).shape[:2] == cv2.imread(lab, cv2.IMREAD_UNCHANGED).shape
    with open(osp.join(out, 'manifest.json')) as f:
        man = json.load(f)
    assert len(man['images']) == 6 and man['images'][0]['base'] and man['images'][0]['class_pixels']
    small = str(tmp_path / 'small')  # composed at 64x128 (a GAN's training size), rendered there
    assert _tool('compose_labels')([SEG_DEMO, '--repo', composed['repo'], '--out', small,
                                    '--num', '2', '--size', '64', '128']
                                   + _root_opt(tiny_demo_root)) == 0
    assert synth([GAN_DEMO, composed['ckpt'], '--root', small]) == 0
    small_lab = glob.glob(osp.join(small, 'gtFine/train/synth/*_labelTrainIds.png'))[0]
    small_inst = small_lab.replace('_labelTrainIds', '_instanceIds')
    assert cv2.imread(small_lab, 0).shape == cv2.imread(small_inst, -1).shape == (64, 128)
    assert cv2.imread(_images(small)[0]).shape[:2] == (64, 128)
    with open(osp.join(small, 'compose_params.json')) as f:
        assert json.load(f)['size'] == [64, 128]
    capsys.readouterr()
    assert synth([GAN_DEMO, composed['ckpt'], '--root', out]) == 0  # rerun: nothing to do
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])['rendered'] == 0
    metrics = {f'IoU.{n}': float(i) for i, n in enumerate(
        ['road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
         'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck',
         'bus', 'train', 'motorcycle', 'bicycle'])}
    mpath = tmp_path / 'metrics.json'
    mpath.write_text(json.dumps(metrics))
    assert _tool('analyze_labels')([SEG_DEMO, '--out', str(tmp_path / 'ana'), '--metrics',
                                    str(mpath)] + _root_opt(tiny_demo_root)) == 0
    assert cv2.imread(str(tmp_path / 'ana' / 'freq_vs_iou.png')) is not None
    with open(tmp_path / 'ana' / 'class_frequencies.json') as f:
        freq = json.load(f)
    assert abs(sum(freq['frequency']) - 1) < 1e-9 and -1 <= freq['spearman_freq_iou'] <= 1


def test_shards_and_killed_run(composed, tmp_path, monkeypatch):
    import shutil
    from ganseg_mm.ganaug import renderer
    out = str(tmp_path / 'synth')
    shutil.copytree(composed['out'], out)
    synth = _tool('synthesize')
    assert synth([GAN_DEMO, composed['ckpt'], '--root', out, '--shard', '0/2']) == 0
    assert len(_images(out)) == 3 and not osp.isfile(osp.join(out, 'manifest.json'))
    calls = []

    def dying_write(path, array):  # the process "dies" during the second image
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(path, array)
    real_write = renderer.atomic_write_png
    monkeypatch.setattr(renderer, 'atomic_write_png', dying_write)
    with pytest.raises(KeyboardInterrupt):
        synth([GAN_DEMO, composed['ckpt'], '--root', out, '--shard', '1/2', '--batch-size', '1'])
    monkeypatch.setattr(renderer, 'atomic_write_png', real_write)
    # the dead write left nothing; writes already queued may have finished
    assert 3 < len(_images(out)) < 6
    assert not glob.glob(osp.join(out, '**', '.*tmp'), recursive=True)
    assert all(cv2.imread(p) is not None for p in _images(out))
    assert synth([GAN_DEMO, composed['ckpt'], '--root', out, '--shard', '1/2']) == 0
    assert len(_images(out)) == 6 and osp.isfile(osp.join(out, 'manifest.json'))
    assert all(cv2.imread(p) is not None for p in _images(out))
    with pytest.raises(SystemExit) as e:  # a usage error, not a traceback
        synth([GAN_DEMO, composed['ckpt'], '--root', out, '--shard', '2/2'])
    assert e.value.code == 2


def test_bad_inputs_exit_2_and_keep_work(composed, tiny_demo_root, tmp_path, capsys):
    import shutil
    out = str(tmp_path / 'synth')
    shutil.copytree(composed['out'], out)
    synth = _tool('synthesize')

    def err(code):
        assert code == 2
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.startswith('error: ')
        return line
    wrong_cls = tiny_checkpoint(str(tmp_path / 'c10.pth'), num_classes=10)
    assert 'wrong class count' in err(synth([GAN_DEMO, wrong_cls, '--root', out]))
    wrong_arch = tiny_checkpoint(str(tmp_path / 'b1.pth'), n_blocks=1)
    assert 'wrong architecture' in err(synth([GAN_DEMO, wrong_arch, '--root', out]))
    junk = tmp_path / 'junk.pth'
    junk.write_bytes(b'junk')
    assert 'not a readable checkpoint' in err(synth([GAN_DEMO, str(junk), '--root', out]))
    assert synth([GAN_DEMO, composed['ckpt'], '--root', out]) == 0
    before = {p: os.path.getmtime(p) for p in _images(out)}
    import torch
    ckpt = torch.load(composed['ckpt'])
    ckpt['meta']['iter'] = 100  # same architecture, another training state
    other = str(tmp_path / 'other.pth')
    torch.save(ckpt, other)
    assert 'made with other parameters (generator: ' in err(
        synth([GAN_DEMO, other, '--root', out]))
    assert {p: os.path.getmtime(p) for p in _images(out)} == before  # nothing lost
    # corrupt label map among missing images: error names it, finished images stay
    os.remove(_images(out)[0])
    lab = sorted(glob.glob(osp.join(out, 'gtFine/train/synth/*_labelTrainIds.png')))[0]
    with open(lab, 'wb') as f:
        f.write(b'broken')
    assert 'not a readable PNG' in err(synth([GAN_DEMO, composed['ckpt'], '--root', out]))
    assert len(_images(out)) == 5
    # composing with a requested class whose repository is empty: a copy of the
    # repository with one class's regions removed
    compose = _tool('compose_labels')
    repo = str(tmp_path / 'repo_missing_class')
    shutil.copytree(composed['repo'], repo)
    with open(osp.join(repo, 'index.json')) as f:
        index = json.load(f)
    gone = sorted(index['regions'], key=int)[0]
    del index['regions'][gone]
    with open(osp.join(repo, 'index.json'), 'w') as f:
        json.dump(index, f)
    line = err(compose([SEG_DEMO, '--repo', repo, '--out', str(tmp_path / 'e'),
                        '--classes', gone] + _root_opt(tiny_demo_root)))
    assert f'class {gone} ' in line and 'empty repository' in line
    assert not osp.exists(tmp_path / 'e' / 'compose_manifest.json')
    assert 'other parameters' in err(compose(
        [SEG_DEMO, '--repo', composed['repo'], '--out', composed['out'], '--num', '7']
        + _root_opt(tiny_demo_root)))


@pytest.mark.slow
def test_torchrun_two_ranks(composed, tmp_path):
    import shutil
    out = str(tmp_path / 'synth')
    shutil.copytree(composed['out'], out)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
                        'tools/ganaug/synthesize.py', GAN_DEMO, composed['ckpt'], '--root', out],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    shards = sorted(json.loads(line)['shard'] for line in r.stdout.splitlines()
                    if line.startswith('{'))
    assert shards == ['0/2', '1/2']
    assert len(_images(out)) == 6 and osp.isfile(osp.join(out, 'manifest.json'))


def test_compose_things_and_ground_by_name(composed, tiny_demo_root, tmp_path, capsys):
    """--things/--ground take class names; the resolved ids are recorded, and an
    unknown name is one error line naming it."""
    compose = _tool('compose_labels')
    out = str(tmp_path / 'by_name')
    args = [SEG_DEMO, '--repo', composed['repo'], '--num', '2'] + _root_opt(tiny_demo_root)
    assert compose(args + ['--out', out, '--things', 'car', 'bus', '--ground', 'road']) == 0
    with open(osp.join(out, 'compose_params.json')) as f:
        params = json.load(f)
    assert params['thing_classes'] == [13, 15] and params['ground_classes'] == [0]
    capsys.readouterr()
    assert compose(args + ['--out', str(tmp_path / 'bad'), '--things', 'tram',
                           '--ground', 'road']) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith('error:')]
    assert len(err) == 1 and "unknown class 'tram'" in err[0]


GENERIC_CFG = """
_base_ = {base!r}
classes = tuple(f'c{{i}}' for i in range(19))  # an unseen dataset: no Cityscapes names
train_dataloader = dict(dataset=dict(
    _delete_=True, type='BaseSegDataset', data_root={root!r}, img_suffix='.jpg',
    seg_map_suffix='.png', metainfo=dict(classes=classes),
    data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
              dict(type='PackSegInputs')]))
"""


def test_whole_chain_on_a_dataset_in_the_generic_layout(tiny_demo_root, tmp_path):
    """mmseg's img_dir/ann_dir layout (.jpg images, .png labels, no instance
    maps, no Cityscapes names): extract, compose, synthesize, and
    GANAugmentedDataset reads the set back, offline and online, without overrides."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from ganseg_mm.datasets.gan_augmented_dataset import GANAugmentedDataset
    root = tmp_path / 'generic'
    for img in sorted(glob.glob(osp.join(tiny_demo_root, 'leftImg8bit/train/*/*.png'))):
        stem = osp.basename(img)[:-len('_leftImg8bit.png')]
        lab = img.replace('leftImg8bit', 'gtFine', 1).replace(
            '_leftImg8bit.png', '_gtFine_labelTrainIds.png')
        os.makedirs(root / 'img_dir/train', exist_ok=True)
        os.makedirs(root / 'ann_dir/train', exist_ok=True)
        cv2.imwrite(str(root / 'img_dir/train' / (stem + '.jpg')), cv2.imread(img))
        cv2.imwrite(str(root / 'ann_dir/train' / (stem + '.png')),
                    cv2.imread(lab, cv2.IMREAD_UNCHANGED))
    cfg_path = tmp_path / 'generic.py'
    cfg_path.write_text(GENERIC_CFG.format(base=osp.join(REPO, SEG_DEMO), root=str(root)))
    repo, out = str(tmp_path / 'repo'), str(tmp_path / 'synth')
    assert _tool('extract_classes')([str(cfg_path), '--out', repo]) == 0
    assert _tool('compose_labels')([str(cfg_path), '--repo', repo, '--out', out,
                                    '--num', '4']) == 0
    with open(osp.join(out, 'compose_params.json')) as f:
        params = json.load(f)
    assert params['thing_classes'] == [] and params['ground_classes'] == []
    # no instance maps in the source: the composed ones hold no instance ids
    insts = glob.glob(osp.join(out, 'gtFine/train/synth/*_instanceIds.png'))
    assert insts and all(cv2.imread(p, cv2.IMREAD_UNCHANGED).max() == 0 for p in insts)
    ckpt = tiny_checkpoint(str(tmp_path / 'gan.pth'))
    assert _tool('synthesize')([GAN_DEMO, ckpt, '--root', out]) == 0
    real = Config.fromfile(str(cfg_path)).train_dataloader.dataset.to_dict()
    with DefaultScope.overwrite_default_scope('mmseg'):
        for online in (None, dict(config=GAN_DEMO, checkpoint=ckpt)):
            ds = GANAugmentedDataset(real, synthetic_root=out, synthetic_ratio=0.5,
                                     online=online)
            syn = [i for i in range(len(ds)) if ds.is_synthetic(i)]
            assert len(ds) == 24 and len(syn) == 12
            sample = ds[syn[0]]
            lab = cv2.imread(sample['data_samples'].seg_map_path, cv2.IMREAD_UNCHANGED)
            assert sample['data_samples'].seg_map_path.endswith('_gtFine_labelTrainIds.png')
            assert (sample['data_samples'].gt_sem_seg.data[0].numpy() == lab).all()
            assert tuple(sample['inputs'].shape) == (3,) + lab.shape


def test_score_alignment_tool(composed, tmp_path, capsys):
    """tools/ganaug/score_alignment.py with a real (untrained) demo segmenter:
    scores in [0, 1] for every image, the plot, the per-class lines; a
    segmenter of another class count and an incomplete set are one error line."""
    import shutil

    import torch
    from mmseg.apis import init_model
    out = str(tmp_path / 'synth')
    shutil.copytree(composed['out'], out)
    score = _tool('score_alignment')
    seg = osp.join(REPO, SEG_DEMO)
    ckpt = str(tmp_path / 'seg.pth')
    torch.manual_seed(0)
    torch.save(dict(state_dict=init_model(seg, None, device='cpu').state_dict()), ckpt)
    assert score([seg, ckpt, '--root', out]) == 2  # no images yet
    assert 'manifest.json: missing' in capsys.readouterr().err
    assert _tool('synthesize')([GAN_DEMO, composed['ckpt'], '--root', out]) == 0
    capsys.readouterr()
    assert score([seg, ckpt, '--root', out, '--batch-size', '4']) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len([ln for ln in lines if ' IoU ' in ln]) == 19
    with open(osp.join(out, 'alignment.json')) as f:
        al = json.load(f)
    assert len(al['images']) == 6 and al['segmenter']['config'] == 'deeplabv3_r18_demo.py'
    assert all(0 <= r['score'] <= 1 for r in al['images'])
    assert cv2.imread(osp.join(out, 'alignment_per_class.png')) is not None
    other = str(tmp_path / 'seg10.py')
    with open(other, 'w') as f:
        f.write(f"_base_ = {seg!r}\nmodel = dict(decode_head=dict(num_classes=10), "
                "auxiliary_head=dict(num_classes=10))\n")
    ckpt10 = str(tmp_path / 'seg10.pth')
    torch.save(dict(state_dict=init_model(other, None, device='cpu').state_dict()), ckpt10)
    assert score([other, ckpt10, '--root', out]) == 2
    assert 'the segmenter has 10 classes, the synthetic set 19' in capsys.readouterr().err
