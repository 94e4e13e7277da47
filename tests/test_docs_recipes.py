"""The full-scale Cityscapes recipe of every docs page runs as written, on tiny data.

A page marks each such recipe with ``<!-- recipe: cityscapes -->`` on the line
before its ```bash fence. The blocks are read from the pages when the test
runs, so a docs edit that breaks a command breaks the test. Every command of a
block runs in order, in ``bash -e``, from a scratch repo root: ``configs/`` and
``tools/`` link to this checkout, so the recipe's relative paths resolve as
from the checkout's root while its ``work_dirs/``, ``data/...`` and
``my_annotations/`` land in the scratch directory, not in the checkout. Only
these rewrites are applied (:func:`rewrite`, :meth:`BlockRun.finish`,
:func:`tiny_options`):

1. ``bash tools/dist_train.sh CONFIG N`` and ``torchrun --nproc_per_node N``:
   ``N`` -> 1, one process with the launcher kept (gloo on CPU).
2. ``--device cuda[:$i]`` -> ``--device cpu``; mim's ``--gpus N`` -> ``--gpus 0``
   (mim trains on the CPU with 0); without CUDA ``--amp`` is dropped (mmengine's
   ``AmpOptimWrapper`` asserts a GPU, NPU or MLU).
3. Amounts of offline work: ``--num N`` -> 4 (samples, images, label maps);
   ``--size H W`` -> 128 256, the tiny data's size.
4. ``work_dirs/DIR/iter_N.pth`` in a command or a config value -> the file named
   by ``work_dirs/DIR/last_checkpoint`` when the command starts (mmengine's
   record of the run's last checkpoint: the tiny run's, not iteration N).
   README's ``CONFIG CHECKPOINT`` -> the config of the block's last training
   and that run's last checkpoint.
5. ``pip install`` lines are not run: this checkout is the installed package.
6. A command whose tool reads a config and takes ``--cfg-options`` gets one more
   ``--cfg-options`` flag (mmengine's DictAction adds its pairs to the
   recipe's own), made from the config by :func:`tiny_options`: data roots under
   ``data/cityscapes/`` (and the demo's ``data/demo_cityscapes/``) -> the tiny
   data; 2 iterations (4 with ``--resume``, which so continues 2), validation
   and checkpoint at the last; train batch <= 2; no dataloader workers; demo
   sizes (crops 128x256, resizes to 256x128); no ImageNet or VGG weights
   (nothing can be downloaded); the networks narrowed (ResNet-50/18 -> depth 18
   at width 16, U-Net width 8, heads to match; pix2pixHD widths 8, 2
   down-samplings, 1 residual block; CEGU discriminator width 8; StyleGAN2 at
   16 px, style width 64, 2 mapping layers); schedule-bound settings scaled
   (RCS's index length, its ``min_pixels`` for 256x128 labels, CEGU's warm-up
   0 so that its adversarial term runs within the 2 iterations).
7. A config that names the GAN config it loads (DatasetGAN's interpreter:
   ``gan_config`` of the model and its datasets) gets the copy of that config
   the GAN's run wrote into its work dir (mmengine dumps the config it ran,
   the tiny ``--cfg-options`` included): options given to one command cannot
   reach a config file another one reads (see ``DatasetGANInterpreter``).

The shell's ``wait`` fails when a background command failed (bash's bare
``wait`` returns 0). What a person does by hand, or another page's recipe
makes, is stood in for by the test before the command that needs it
(:data:`STAND_INS`).
"""
from __future__ import annotations

import copy
import os
import os.path as osp
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from typing import List, Optional

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MARK = '<!-- recipe: cityscapes -->'
PAGES = ('README.md', 'docs/cegu.md', 'docs/datasetgan.md', 'docs/ganaug.md',
         'docs/rcs.md', 'docs/uda.md')
TINY_H, TINY_W = 128, 256  # the demo data's image size
ITERS = 2
GAN_SIZE = 16  # StyleGAN2's output size in the tiny runs (the recipe's: 512)
CITYSCAPES_ROOTS = ('data/cityscapes/', 'data/demo_cityscapes/')


# --- reading the recipes ------------------------------------------------------

def recipe_blocks(page: str) -> List[str]:
    """The text of every ```bash block of ``page`` marked by :data:`MARK`."""
    with open(osp.join(REPO, page)) as f:
        lines = f.read().splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        assert i + 1 < len(lines) and lines[i + 1].strip() == '```bash', \
            f'{page}:{i + 1}: {MARK} is not followed by a ```bash fence'
        end = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == '```'), None)
        assert end is not None, f'{page}:{i + 2}: unterminated ```bash block'
        blocks.append('\n'.join(lines[i + 2:end]))
    return blocks


def _strip_comment(line: str) -> str:
    """``line`` without a trailing ``# comment`` (outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in '\'"':
            quote = ch
        elif ch == '#' and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def commands(block: str) -> List[str]:
    """The shell statements of a block: comments dropped, ``\\`` continuations
    joined, a ``for ...; do`` ... ``done`` loop kept together as one statement."""
    logical, cur = [], ''
    for raw in block.splitlines():
        line = _strip_comment(raw)
        if not line.strip() and not cur:
            continue
        if line.endswith('\\'):
            cur += line[:-1].strip() + ' '
            continue
        logical.append((cur + line.strip()).strip())
        cur = ''
    stmts, group, depth = [], [], 0
    for line in logical:
        if re.match(r'(for|while)\b.*;\s*do$', line):
            depth += 1
        if depth:
            group.append(line)
            if re.match(r'done\b', line):
                depth -= 1
                if not depth:
                    stmts.append('\n'.join(group))
                    group = []
        else:
            stmts.append(line)
    assert not group, f'unterminated loop in:\n{block}'
    return stmts


# --- rewriting a command -----------------------------------------------------

def _cuda() -> bool:
    import torch
    return torch.cuda.is_available()


def _quote(tok: str) -> str:
    """Shell-quote ``tok``, except shell variables (``$i``) and the background
    operator the recipe relies on."""
    if tok == '&' or re.fullmatch(r'[\w@%+=:,./$-]+', tok):
        return tok
    return shlex.quote(tok)


def tool_of(args: List[str]) -> Optional[str]:
    """The repo tool a command runs (``tools/...``), or ``'mim train'``."""
    if args[:2] == ['mim', 'train']:
        return 'mim train'
    return next((a for a in args if a.startswith('tools/')), None)


def config_of(args: List[str]) -> Optional[str]:
    """The first positional config (``configs/....py``) of a command."""
    for prev, a in zip([''] + args, args):
        if a.startswith('configs/') and a.endswith('.py') and not prev.startswith('--'):
            return a
    return None


def takes_cfg_options(tool: str) -> bool:
    """Whether ``tool`` (a repo path, or mim train) accepts ``--cfg-options``."""
    if tool == 'mim train' or tool == 'tools/dist_train.sh':
        return True  # both pass their arguments on to tools/train.py
    with open(osp.join(REPO, tool)) as f:
        src = f.read()
    return any(s in src for s in ('--cfg-options', 'add_dataset_split_args', 'add_runner_args'))


def rewrite(stmt: str) -> List[List[str]]:
    """The argument lists of the simple commands of ``stmt`` after rules 1-3
    and 5 (rule 4 and the ``--cfg-options`` are added when a command runs,
    from what the earlier commands wrote). Loop lines are returned as
    ``['#shell', line]``."""
    out = []
    for line in stmt.split('\n'):
        if re.match(r'(for|while)\b|done\b', line):
            out.append(['#shell', line])
            continue
        args = shlex.split(line, posix=True)
        if not args:
            continue
        if args[:2] in (['pip', 'install'], ['mim', 'install']):
            continue  # rule 5
        if args[:2] == ['bash', 'tools/dist_train.sh']:
            args[3] = '1'  # rule 1
        for i, a in enumerate(args[:-1]):
            if a in ('--nproc_per_node', '--nproc-per-node'):
                args[i + 1] = '1'  # rule 1
            elif a == '--device' and args[i + 1].startswith('cuda'):
                args[i + 1] = 'cpu'  # rule 2
            elif a == '--gpus':
                args[i + 1] = '0'  # rule 2
            elif a == '--num':
                args[i + 1] = '4'  # rule 3
            elif a == '--size' and i + 2 < len(args):
                args[i + 1:i + 3] = [str(TINY_H), str(TINY_W)]  # rule 3
        if '--amp' in args and not _cuda():
            args.remove('--amp')  # rule 2: mmengine's AmpOptimWrapper needs an accelerator
        out.append(args)
    return out


# --- making a config tiny ---------------------------------------------------

def _dataloaders(cfg: dict):
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            yield name, cfg[name]
    for key, value in (cfg.get('train_cfg') or {}).items():
        if key.endswith('dataloader') and isinstance(value, dict):
            yield key, value


def _datasets(ds: dict):
    yield ds
    for key in ('dataset', 'datasets'):
        sub = ds.get(key)
        for d in (sub if isinstance(sub, (list, tuple)) else [sub] if sub else []):
            yield from _datasets(d)


def _checkpoint_path(value: str, cwd: str) -> str:
    """Rule 4: ``work_dirs/DIR/iter_N.pth`` -> what ``DIR/last_checkpoint`` names
    (unchanged when that file does not exist yet)."""
    m = re.fullmatch(r'(work_dirs/.+)/iter_\d+\.pth', value)
    record = m and osp.join(cwd, m.group(1), 'last_checkpoint')
    if record and osp.isfile(record):
        with open(record) as f:
            return f.read().strip()
    return value


def _narrow_segmentor(model: dict) -> None:
    """R-50/R-18 -> ResNet-18 at width 16, U-Net at width 8, heads to match."""
    bb = model.get('backbone', {})
    heads = [model.get('decode_head'), model.get('auxiliary_head')]
    if bb.get('type', '').startswith('ResNet'):
        bb.update(depth=18, stem_channels=16, base_channels=16)
        stage_channels = [16 * 2 ** i for i in range(4)]  # BasicBlock, expansion 1
    elif bb.get('type') == 'UNet':
        bb.update(base_channels=8)
        stage_channels = [8 * 2 ** i for i in range(5)][::-1]  # decoder, deepest first
    else:
        return
    for head in heads:
        if isinstance(head, dict) and isinstance(head.get('in_index'), int):
            head['in_channels'] = stage_channels[head['in_index']]
            head['channels'] = max(8, head['in_channels'] // 4) \
                if head['type'] == 'ASPPHead' else 8


def tiny_options(config: str, data_root: str, cwd: str, resume: bool = False) -> List[str]:
    """Rule 6: the ``key=value`` pairs that make ``config`` tiny (see the module
    docstring), computed as the difference between the config and its tiny copy."""
    from mmengine.config import Config
    orig = Config.fromfile(osp.join(REPO, config)).to_dict()
    cfg = copy.deepcopy(orig)
    model = cfg['model']
    kind = model['type']
    iters = 2 * ITERS if resume else ITERS
    train_cfg = cfg['train_cfg']
    train_cfg['max_iters'] = iters
    if train_cfg.get('val_interval', 10**9) < 10**9:
        train_cfg['val_interval'] = iters
    hooks = cfg['default_hooks']
    hooks['checkpoint']['interval'] = iters
    hooks['logger']['interval'] = 1
    for name, loader in _dataloaders(cfg):
        loader['num_workers'] = 0
        loader['persistent_workers'] = False
        if name == 'train_dataloader':
            loader['batch_size'] = min(loader['batch_size'], 2)
        for ds in _datasets(loader['dataset']):
            root = ds.get('data_root')
            for prefix in CITYSCAPES_ROOTS:
                if isinstance(root, str) and root.startswith(prefix):
                    ds['data_root'] = osp.join(data_root, root[len(prefix):])
            if ds.get('type') == 'RareClassSamplingDataset':
                # 3000 px at 2048x1024 is 47 px at 256x128; one draw per sample
                ds.update(min_pixels=20, num_samples=iters * loader['batch_size'],
                          cache_dir=osp.join(cwd, 'class_stats'))
            for t in ds.get('pipeline') or []:
                typ = t.get('type', '').split('.')[-1]
                if typ in ('Resize', 'RandomResize'):
                    t['scale'] = (GAN_SIZE, GAN_SIZE) if kind == 'StyleGAN2' else (TINY_W, TINY_H)
                elif typ == 'RandomCrop':
                    t['crop_size'] = (TINY_H, TINY_W)
    if kind in ('EncoderDecoder', 'UDAEncoderDecoder'):
        model['pretrained'] = None
        model['backbone']['init_cfg'] = None
        model['data_preprocessor']['size'] = (TINY_H, TINY_W)
        _narrow_segmentor(model)
        for hook in cfg.get('custom_hooks') or []:
            if hook['type'] == 'CEGUDiscriminatorHook':
                hook.update(warmup_iters=0, vis_interval=iters)
                hook['discriminator']['base_channels'] = 8
    elif kind == 'Pix2PixHD':
        model['generator'].update(base_channels=8, n_downsampling=2, n_blocks=1)
        model['discriminator'].update(base_channels=8, n_layers=2)
        model['vgg_loss'] = None  # torchvision's VGG19 weights are not on this machine
    elif kind == 'StyleGAN2':
        model['generator'].update(out_size=GAN_SIZE, style_channels=64, num_mlps=2)
        model['discriminator'].update(in_size=GAN_SIZE)
    elif kind == 'DatasetGANInterpreter':
        model['gan_checkpoint'] = gan_ckpt = _checkpoint_path(model['gan_checkpoint'], cwd)
        # rule 7: the GAN config as the run that wrote gan_checkpoint ran it
        gan_config = model['gan_config']
        ran = osp.join(osp.dirname(osp.join(cwd, gan_ckpt)), osp.basename(gan_config))
        if osp.isfile(ran):
            for d in [model] + [ds for _, loader in _dataloaders(cfg)
                                for ds in _datasets(loader['dataset'])]:
                if d.get('gan_config') == gan_config:
                    d['gan_config'] = ran
    return _diff(orig, cfg)


def _value(v) -> str:
    if isinstance(v, (tuple, list)):
        inner = ','.join(_value(x) for x in v)
        return f'({inner})' if isinstance(v, tuple) else f'[{inner}]'
    return str(v)


def _diff(old, new, prefix: str = '') -> List[str]:
    """``key=value`` pairs that turn ``old`` into ``new`` with mmengine's
    ``merge_from_dict`` (list items by index)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [o for k in new for o in _diff(old.get(k), new[k], f'{prefix}{k}.')]
    if (isinstance(old, (list, tuple)) and isinstance(new, (list, tuple))
            and len(old) == len(new) and any(isinstance(x, dict) for x in new)):
        return [o for i, (a, b) in enumerate(zip(old, new)) for o in _diff(a, b, f'{prefix}{i}.')]
    if old == new and type(old) is type(new):
        return []
    assert not isinstance(new, dict), f'{prefix}: new dict'
    return [f'{prefix[:-1]}={_value(new)}']


# --- running a block ----------------------------------------------------------

def _make_annotations(scratch: str, data_root: str) -> None:
    """DatasetGAN's human step, "annotate e.g. 16 of images/sample_XXXXX.png":
    label maps of trainIds in my_annotations/ for 4 samples (road below, sky
    above, a car box, an unlabelled strip), at the generated images' size; 4
    leave the interpreter config's held-out share at least one to validate on."""
    import cv2
    import numpy as np
    samples = osp.join(scratch, 'work_dirs/datasetgan_cityscapes/samples/images')
    os.makedirs(osp.join(scratch, 'my_annotations'), exist_ok=True)
    for name in sorted(os.listdir(samples))[:4]:
        h, w = cv2.imread(osp.join(samples, name)).shape[:2]
        mask = np.full((h, w), 10, np.uint8)  # sky
        mask[h // 2:] = 0  # road
        mask[h // 2 - h // 8:h // 2 + h // 8, w // 4:w // 2] = 13  # car
        mask[:, -4:] = 255  # an unlabelled strip
        cv2.imwrite(osp.join(scratch, 'my_annotations', name), mask)


def _make_ganaug_set(scratch: str, data_root: str) -> None:
    """README's "a method config" trains on data/cityscapes_ganaug/, the set that
    docs/ganaug.md's recipe makes (tested there); here a stand-in set rendered by
    an untrained tiny pix2pixHD from the tiny data."""
    from tests.test_ganaug.ganaug_helpers import make_synthetic_set
    work = osp.join(scratch, 'ganaug_stand_in')
    synth = make_synthetic_set(data_root, work, num=4)
    os.makedirs(osp.join(scratch, 'data'), exist_ok=True)
    shutil.move(synth, osp.join(scratch, 'data', 'cityscapes_ganaug'))


# (page, text of the command) -> what the test does before that command
STAND_INS = {
    ('docs/datasetgan.md', 'my_annotations/'): _make_annotations,
    ('README.md', 'configs/deeplabv3_r50_ganaug_cityscapes.py'): _make_ganaug_set,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def scratch_root(path: str) -> str:
    """A repo root for the recipe's outputs: ``configs/`` and ``tools/`` link to
    this checkout."""
    os.makedirs(path, exist_ok=True)
    for name in ('configs', 'tools'):
        os.symlink(osp.join(REPO, name), osp.join(path, name))
    return path


# bash's bare ``wait`` returns 0 whatever its jobs returned: this one fails
# when one of them failed (a recipe's ``for ...; do ... & done; wait``); every
# background command records its pid in BG
WAIT_FOR_ALL = 'BG=; wait() { local rc=0 p; for p in $BG; do builtin wait "$p" || rc=$?; done; ' \
    'BG=; return $rc; }'


def _last_checkpoint(work_dir: str, cwd: str) -> str:
    with open(osp.join(cwd, work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


class BlockRun:
    """Runs the statements of one recipe block in ``scratch``, on ``data_root``."""

    def __init__(self, page: str, scratch: str, data_root: str):
        self.page, self.scratch, self.data_root = page, scratch, data_root
        self.last_train = None  # (config, work dir) of the last training command
        self.work_dirs: List[str] = []  # of every training command
        self.times: List[tuple] = []

    def finish(self, args: List[str]) -> List[str]:
        """Rules 4 and 6 on one rewritten command, with what has run so far."""
        if 'CONFIG' in args or 'CHECKPOINT' in args:  # README's placeholders
            assert self.last_train, f'{self.page}: CONFIG/CHECKPOINT before any training'
            config, wd = self.last_train
            args = [config if a == 'CONFIG' else
                    _last_checkpoint(wd, self.scratch) if a == 'CHECKPOINT' else a
                    for a in args]
        tool, config = tool_of(args), config_of(args)
        args = [_checkpoint_path(a, self.scratch) for a in args]
        if tool in ('tools/train.py', 'tools/dist_train.sh', 'mim train') and config:
            wd = args[args.index('--work-dir') + 1] if '--work-dir' in args else \
                'work_dirs/' + osp.splitext(osp.basename(config))[0]
            self.last_train = (config, wd)
            self.work_dirs.append(wd)
        if tool and config and takes_cfg_options(tool):
            opts = tiny_options(config, self.data_root, self.scratch, '--resume' in args)
            background = args[-1] == '&'
            args = args[:-1] if background else args
            args = args + ['--cfg-options'] + opts + (['&'] if background else [])
        return args

    def run(self, stmt: str) -> None:
        for (page, text), make in STAND_INS.items():
            if page == self.page and text in stmt:
                make(self.scratch, self.data_root)
        lines = []
        for args in rewrite(stmt):
            if args[0] == '#shell':
                lines.append(args[1])
            else:
                args = self.finish(args)
                lines.append(' '.join(map(_quote, args)) + (' BG="$BG $!"' if args[-1] == '&'
                                                            else ''))
        script = '\n'.join(lines)
        if not script:
            return
        venv_bin = osp.dirname(sys.executable)
        env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
                   PATH=venv_bin + os.pathsep + os.environ['PATH'],
                   PORT=str(_free_port()),  # tools/dist_train.sh's torchrun port
                   PET_MASTER_PORT=str(_free_port()))  # torchrun's own --master_port
        t0 = time.time()
        p = subprocess.run(['bash', '-e', '-c', f'{WAIT_FOR_ALL}\n{script}\nwait'],
                           cwd=self.scratch, env=env, capture_output=True, text=True,
                           timeout=900)
        self.times.append((round(time.time() - t0, 1), stmt.split('\n')[0][:100]))
        assert p.returncode == 0, (
            f'{self.page}: recipe command failed (exit {p.returncode}):\n{script}\n'
            f'--- stdout (tail) ---\n{p.stdout[-2000:]}\n'
            f'--- stderr (tail) ---\n{p.stderr[-6000:]}')


def run_block(page: str, block: str, scratch: str, data_root: str) -> BlockRun:
    run = BlockRun(page, scratch, data_root)
    for stmt in commands(block):
        run.run(stmt)
    return run


# --- the tests ----------------------------------------------------------------

BLOCKS = [(page, i) for page in PAGES for i in range(len(recipe_blocks(page)))]


@pytest.mark.parametrize('page', PAGES)
def test_page_marks_its_cityscapes_recipe(page):
    """Each page keeps its marker: a lost marker would silently drop its recipe."""
    assert recipe_blocks(page), f'{page}: no ```bash block marked {MARK}'


def _dict_action(opts: List[str]) -> dict:
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *opts]).cfg_options


def _roots(cfg) -> list:
    return [ds.get('data_root') for _, loader in _dataloaders(cfg.to_dict())
            for ds in _datasets(loader['dataset'])]


@pytest.mark.parametrize('page', PAGES)
def test_recipe_commands_rewrite_to_tiny_runs_of_existing_tools(page, tmp_path):
    """Extraction and rules 1-3, 5, 6 without running anything: every command
    runs a tool of this checkout on configs of this checkout, no GPU is asked
    for, and the tiny options, parsed as the tools parse them, make each config
    train 2 iterations on the tiny data."""
    from mmengine.config import Config
    data_root = str(tmp_path / 'tiny') + '/'
    for block in recipe_blocks(page):
        stmts = commands(block)
        assert stmts, f'{page}: empty recipe block'
        for stmt in stmts:
            for args in rewrite(stmt):
                if args[0] == '#shell':
                    continue
                line = ' '.join(args)
                tool = tool_of(args)
                assert tool, f'{page}: no tool of this repo in {line!r}'
                assert tool == 'mim train' or osp.isfile(osp.join(REPO, tool)), line
                for a in args:
                    if a.startswith('configs/'):
                        assert osp.isfile(osp.join(REPO, a)), f'{page}: {a} does not exist'
                assert 'cuda' not in line and '--amp' not in line or _cuda(), line
                if tool == 'tools/dist_train.sh':
                    assert args[3] == '1', line
                config = config_of(args)
                if not (config and takes_cfg_options(tool)):
                    continue
                opts = _dict_action(tiny_options(config, data_root, str(tmp_path)))
                cfg = Config.fromfile(osp.join(REPO, config))
                before = _roots(cfg)
                cfg.merge_from_dict(opts)
                assert cfg.train_cfg.max_iters == ITERS, line
                after = _roots(cfg)
                assert len(after) == len(before), (config, after)
                for old, new in zip(before, after):
                    if old and old.startswith(CITYSCAPES_ROOTS):
                        assert new.startswith(data_root), f'{page}: {config} still reads {new}'
                    else:  # outputs of earlier commands
                        assert new == old, (config, old, new)


def test_rewrite_rules():
    stmt = 'bash tools/dist_train.sh configs/x.py 8 --resume'
    assert rewrite(stmt) == [['bash', 'tools/dist_train.sh', 'configs/x.py', '1', '--resume']]
    loop = commands('for i in 0 1; do\n  python tools/t.py c.py \\\n   --shard $i/2 '
                    '--device cuda:$i &  # note\ndone; wait\n# comment\nmim train p c.py --gpus 4')
    assert loop[1] == 'mim train p c.py --gpus 4'
    assert rewrite(loop[0]) == [
        ['#shell', 'for i in 0 1; do'],
        ['python', 'tools/t.py', 'c.py', '--shard', '$i/2', '--device', 'cpu', '&'],
        ['#shell', 'done; wait']]
    assert rewrite(loop[1])[0][-1] == '0'
    assert rewrite('torchrun --nproc_per_node 8 tools/s.py c --num 1500 --size 512 1024')[0] \
        == ['torchrun', '--nproc_per_node', '1', 'tools/s.py', 'c', '--num', '4',
            '--size', str(TINY_H), str(TINY_W)]
    assert rewrite('pip install -e .   # or mim') == []


def test_iteration_checkpoint_resolves_to_the_last_one_written(tmp_path):
    wd = tmp_path / 'work_dirs' / 'run'
    wd.mkdir(parents=True)
    assert _checkpoint_path('work_dirs/run/iter_80000.pth', str(tmp_path)) == \
        'work_dirs/run/iter_80000.pth'  # nothing written yet: left for the tool to report
    (wd / 'last_checkpoint').write_text(str(wd / 'iter_2.pth'))
    assert _checkpoint_path('work_dirs/run/iter_80000.pth', str(tmp_path)) == \
        str(wd / 'iter_2.pth')


@pytest.mark.slow
@pytest.mark.parametrize('page,index', BLOCKS, ids=[f'{p}#{i}' for p, i in BLOCKS])
def test_cityscapes_recipe_runs_on_tiny_data(page, index, demo_copy, tmp_path):
    run = run_block(page, recipe_blocks(page)[index], scratch_root(str(tmp_path / 'root')),
                    demo_copy)
    for wd in run.work_dirs:  # every training left its last checkpoint
        assert osp.isfile(_last_checkpoint(wd, run.scratch)), wd
    print(f'\n{page} #{index}: ' + '; '.join(f'{t} s {c}' for t, c in run.times))
