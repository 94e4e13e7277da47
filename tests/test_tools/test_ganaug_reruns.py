"""extract_classes, compose_labels, synthesize: reruns, shards finishing
together, and kill -9 followed by a rerun (the same bytes as one run)."""
import glob
import importlib.util
import os
import os.path as osp
import shutil
import threading
import time

import pytest

from tests.kill9 import REPO, kill_when, partial_files, tree
from tests.test_ganaug.ganaug_helpers import GAN_DEMO, tiny_checkpoint

SEG_DEMO = 'configs/baseline/deeplabv3_r18_demo.py'


def _tool(name):
    path = osp.join(REPO, 'tools', 'ganaug', name + '.py')
    spec = importlib.util.spec_from_file_location(f'ganaug_tool_{name}', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def _argv(name, *args):
    return [osp.join(REPO, 'tools', 'ganaug', name + '.py'), *args]


@pytest.fixture(scope='module')
def ref(tiny_demo_root, tmp_path_factory):
    """Uninterrupted runs: repository, 12 composed maps, their images."""
    work = str(tmp_path_factory.mktemp('ref'))
    opt = ['--cfg-options', f'train_dataloader.dataset.data_root={tiny_demo_root}/']
    r = dict(work=work, opt=opt, repo=osp.join(work, 'repo'), maps=osp.join(work, 'maps'),
             synth=osp.join(work, 'synth'), ckpt=tiny_checkpoint(osp.join(work, 'gan.pth')))
    assert _tool('extract_classes')([SEG_DEMO, '--out', r['repo']] + opt) == 0
    r['compose'] = [SEG_DEMO, '--repo', r['repo'], '--num', '12', '--seed', '3'] + opt
    assert _tool('compose_labels')(r['compose'] + ['--out', r['maps']]) == 0
    shutil.copytree(r['maps'], r['synth'])
    r['synthesize'] = [GAN_DEMO, r['ckpt'], '--batch-size', '2']
    assert _tool('synthesize')(r['synthesize'] + ['--root', r['synth']]) == 0
    return r


def _images(root):
    return glob.glob(osp.join(root, 'leftImg8bit', 'train', 'synth', '*.png'))


def test_finished_folders_are_not_written_again(ref, tmp_path, capsys):
    synth = str(tmp_path / 'synth')
    shutil.copytree(ref['synth'], synth)
    before = tree(synth)
    assert _tool('compose_labels')(ref['compose'] + ['--out', synth]) == 0
    assert _tool('synthesize')(ref['synthesize'] + ['--root', synth]) == 0
    assert tree(synth) == before
    assert _tool('compose_labels')(ref['compose'] + ['--out', synth, '--seed', '4']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f'error: {synth}: made with other parameters (seed: 3 there, 4 '
                              'in this run; see compose_params.json)')
    assert tree(synth) == before


def test_shards_finishing_together_write_the_manifest_once(ref, tmp_path, monkeypatch):
    """Every image exists and two shards reach the final step at the same time."""
    from ganseg_mm.ganaug import renderer
    synth = str(tmp_path / 'synth')
    shutil.copytree(ref['synth'], synth)
    fingerprint = renderer.output_dir(synth).read_manifest()['fingerprint']
    os.remove(osp.join(synth, 'manifest.json'))
    built = []

    def slow_manifest(*a):
        built.append(1)
        time.sleep(0.3)
        return real(*a)

    real = renderer.manifest_dict
    monkeypatch.setattr(renderer, 'manifest_dict', slow_manifest)
    gen, info = renderer.load_pix2pixhd(GAN_DEMO, ref['ckpt'])
    start, results = threading.Barrier(2), []

    def shard(i):
        start.wait()
        results.append(renderer.render_set(synth, gen, info, fingerprint, shard=(i, 2),
                                           progress=False))

    threads = [threading.Thread(target=shard, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1] and all(r['manifest'] and r['rendered'] == 0 for r in results)
    assert tree(synth) == tree(ref['synth'])


@pytest.mark.slow
def test_kill_9_then_rerun_gives_the_same_files(ref, tmp_path):
    repo, maps, synth = (str(tmp_path / n) for n in ('repo', 'maps', 'synth'))
    kill_when(_argv('extract_classes', SEG_DEMO, '--out', repo, *ref['opt']),
              lambda: len(glob.glob(osp.join(repo, 'regions', '*.npz'))) >= 3
              and partial_files(repo))
    assert partial_files(repo) and not osp.exists(osp.join(repo, 'index.json'))
    assert _tool('extract_classes')([SEG_DEMO, '--out', repo] + ref['opt']) == 0
    assert tree(repo) == tree(ref['repo'])

    kill_when(_argv('compose_labels', *ref['compose'], '--out', maps),
              lambda: len(glob.glob(osp.join(maps, 'gtFine', '*', '*', '*.png'))) >= 5
              and partial_files(maps))
    assert partial_files(maps) and not osp.exists(osp.join(maps, 'compose_manifest.json'))
    assert _tool('compose_labels')(ref['compose'] + ['--out', maps]) == 0
    assert tree(maps) == tree(ref['maps'])

    shutil.copytree(ref['maps'], synth)
    kill_when(_argv('synthesize', *ref['synthesize'], '--root', synth),
              lambda: len(_images(synth)) >= 3)
    assert not osp.exists(osp.join(synth, 'manifest.json'))
    assert _tool('synthesize')(ref['synthesize'] + ['--root', synth]) == 0
    assert tree(synth) == tree(ref['synth'])
