"""generate_dataset reruns: same parameters, another --drop, other parameters,
shards finishing together, and a run killed (exception or kill -9) at any step."""
import glob
import importlib.util
import os
import os.path as osp
import shutil
import threading
import time

import pytest
import torch

from ganseg_mm.datasetgan import generation
from ganseg_mm.datasetgan.generation import claim_output, finalize, label_images
from ganseg_mm.utils.errors import DataValidationError
from tests.kill9 import REPO, kill_when, partial_files, tree
from tests.test_datasetgan.test_generation import _model

NUM = 10
PARAMS = dict(num=NUM, seed=5, truncation=1.0, top_fraction=0.1, config='c', checkpoint='k',
              split='train', city='datasetgan')


def run(model, out, drop, **params):
    """What tools/datasetgan/generate_dataset.py does: (images labelled, manifest)."""
    claim_output(out, dict(PARAMS, drop=drop, **params))
    made = label_images(model, out, NUM, seed=5, progress=False)
    return made, finalize(out, NUM, drop)


@pytest.fixture(scope='module')
def model(tiny_gan):
    return _model(tiny_gan)


@pytest.fixture(scope='module')
def fresh(model, tmp_path_factory):
    """Uninterrupted runs into new folders, one per --drop."""
    root = tmp_path_factory.mktemp('fresh')
    out = {}
    for drop in (0.0, 0.2, 0.5):
        d = str(root / str(drop))
        assert run(model, d, drop)[0] == NUM
        out[drop] = tree(d)
    return out


def test_rerun_reuses_the_labelled_images(model, fresh, tmp_path):
    out = str(tmp_path / 'out')
    made, m = run(model, out, 0.2)
    assert made == NUM and m['num_kept'] == 8 and tree(out) == fresh[0.2]
    assert run(model, out, 0.2) == (0, m)  # finished: nothing labelled again
    assert tree(out) == fresh[0.2]
    made, m = run(model, out, 0.5)  # drops 3 more: nothing to label again
    assert made == 0 and m['num_kept'] == 5 and tree(out) == fresh[0.5]
    # reopened for 0.2 (the records of the 2 images it drops come back without
    # PNGs), killed before labelling, rerun with 0.0: those records are of no use
    assert claim_output(out, dict(PARAMS, drop=0.2)) == ['drop']
    assert not osp.exists(osp.join(out, 'manifest.json'))
    made, m = run(model, out, 0.0)  # only the 5 deleted images are labelled again
    assert made == 5 and m['num_kept'] == NUM and tree(out) == fresh[0.0]
    with pytest.raises(DataValidationError, match=r'out: made with other parameters \(seed: 5 '
                                                  r'there, 6 in this run; see params.json\)'):
        run(model, out, 0.0, seed=6)
    assert tree(out) == fresh[0.0]  # a refused run writes nothing


def test_shards_finishing_together_finish_once(model, fresh, tmp_path, monkeypatch):
    out = str(tmp_path / 'out')
    claim_output(out, dict(PARAMS, drop=0.2))
    label_images(model, out, NUM, seed=5, progress=False)
    selections = []

    def slow_keep_mask(scores, drop):
        selections.append(drop)
        time.sleep(0.3)  # the other shards arrive meanwhile
        return real_keep_mask(scores, drop)

    real_keep_mask = generation.keep_mask
    monkeypatch.setattr(generation, 'keep_mask', slow_keep_mask)
    start, results = threading.Barrier(3), []

    def shard():
        start.wait()
        results.append(finalize(out, NUM, 0.2))

    threads = [threading.Thread(target=shard) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert selections == [0.2]  # one selection, one set of moves
    assert len(results) == 3 and all(r == results[0] for r in results)
    assert tree(out) == fresh[0.2]


class Killed(BaseException):
    pass


def test_killed_at_any_step_then_rerun_equals_one_run(model, fresh, tmp_path, monkeypatch):
    """Reselecting a finished folder (reopen, label, finalize), interrupted at
    each file operation in turn, then rerun: always the uninterrupted result."""
    done = str(tmp_path / 'done')
    run(model, done, 0.5)
    real = dict(replace=os.replace, remove=os.remove)
    k = 0
    while True:
        k += 1
        out = str(tmp_path / f'k{k}')
        shutil.copytree(done, out)
        calls = []

        def dying(name):
            def op(*a, **kw):
                calls.append(name)
                if len(calls) == k:
                    raise Killed
                return real[name](*a, **kw)
            return op

        for name in real:
            monkeypatch.setattr(os, name, dying(name))
        try:
            run(model, out, 0.2)
            finished = True
        except Killed:
            finished = False
        finally:
            for name in real:
                monkeypatch.setattr(os, name, real[name])
        run(model, out, 0.2)
        assert tree(out) == fresh[0.2], f'killed at file operation {k}'
        shutil.rmtree(out)
        if finished:
            break
    assert k > 20  # reopen, labelling and finalize were all interrupted somewhere


def _tool():
    path = osp.join(REPO, 'tools', 'datasetgan', 'generate_dataset.py')
    spec = importlib.util.spec_from_file_location('generate_dataset_tool', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize('flag,value', [('--num', '0'), ('--drop', '1'), ('--drop', 'x'),
                                        ('--top-fraction', '0'), ('--truncation', '1.5'),
                                        ('--batch-size', '0')])
def test_bad_numbers_are_usage_errors(flag, value, capsys):
    with pytest.raises(SystemExit) as e:
        _tool().parse_args(['cfg', 'ckpt', 'out', flag, value])
    assert e.value.code == 2
    assert f'argument {flag}: must be' in capsys.readouterr().err


@pytest.fixture(scope='module')
def interpreter(tiny_gan, tmp_path_factory):
    """(config, checkpoint) of an untrained 3-class interpreter of the tiny GAN."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    d = tmp_path_factory.mktemp('interp')
    cfg = str(d / 'interp.py')
    with open(cfg, 'w') as f:
        f.write(f"""_base_ = '{REPO}/configs/datasetgan/interpreter_demo.py'
gan_config = '{tiny_gan[0]}'
model = dict(gan_config=gan_config, gan_checkpoint=None, pixels_per_image=64,
             head=dict(num_classes=3, num_members=2))
""")
    model_cfg = Config.fromfile(cfg).model
    model_cfg.gan_checkpoint = tiny_gan[1]
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        state = MODELS.build(model_cfg).state_dict()
    ckpt = str(d / 'interp.pth')
    torch.save(dict(state_dict=state), ckpt)
    return cfg, ckpt


def test_tool_reruns(interpreter, tmp_path, capsys):
    out = str(tmp_path / 'out')
    tool = _tool()
    args = [*interpreter, out, '--num', '6', '--drop', '0.5']
    assert tool.main(args) == 0
    assert capsys.readouterr().out.strip().endswith(f'3/6 images kept -> {out} (manifest.json)')
    assert tool.main(args + ['--seed', '7']) == 2
    # only the tool's lines: an mmengine logger made under an earlier test's
    # capture may add "--- Logging error ---" noise about its closed stream
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith('error:')]
    assert err == [f'error: {out}: made with other parameters (seed: 100000 there, 7 in this '
                   'run; see params.json); use another output directory or the same parameters']
    assert tool.main(args + ['--drop', '0.0']) == 0
    assert capsys.readouterr().out.strip().endswith(
        f'6/6 images kept (3 dropped images labelled again) -> {out} (manifest.json)')


@pytest.mark.slow
def test_kill_9_then_rerun_gives_the_same_files(interpreter, tmp_path):
    cfg, ckpt = interpreter
    tool = osp.join(REPO, 'tools', 'datasetgan', 'generate_dataset.py')
    ref, out = str(tmp_path / 'ref'), str(tmp_path / 'out')
    args = ['--num', '12', '--drop', '0.25', '--batch-size', '2']
    assert _tool().main([cfg, ckpt, ref] + args) == 0
    # killed while labelling, then while writing the manifest (every image is
    # in place; test_killed_at_any_step... covers the steps between)
    kill_when([tool, cfg, ckpt, out] + args,
              lambda: len(glob.glob(osp.join(out, '_work', '*.json'))) >= 4)
    assert not osp.exists(osp.join(out, 'manifest.json'))
    kill_when([tool, cfg, ckpt, out] + args,
              lambda: glob.glob(osp.join(out, '.manifest.json*.tmp')))
    assert not osp.exists(osp.join(out, 'manifest.json')) and partial_files(out)
    assert _tool().main([cfg, ckpt, out] + args) == 0
    assert tree(out) == tree(ref)
