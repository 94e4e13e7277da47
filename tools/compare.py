"""Compare configs with a baseline over several seeds (train + test every pair).

    python tools/compare.py BASELINE_CFG METHOD_CFG [METHOD_CFG ...] --work-dir DIR \
        [--seeds 0 1 2] [--names base m1 ...] [--cfg-options k=v ...] [--shard i/n] \
        [--rare-share 0.01]

Run from the repository root. Every (config, seed) pair trains with
tools/train.py and is evaluated with tools/test.py in DIR/<name>/seed<S>/; the
summary is DIR/comparison.{md,json,png}. Resumable, lock files per pair, see
docs/compare.md.
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys

from mmengine.config import Config, DictAction

from ganseg_mm.evaluation import comparison as C
from ganseg_mm.utils.cli import load_tool_cfg, run_tool, shard_arg
from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.io import atomic_write_text

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's status for usage errors)
        self.exit(2, f'error: {message} (see {self.prog} --help)\n')


def parse_args(argv=None):
    """Parse and check the command line; bad input is a one-line usage error.

    Args:
        argv (list[str], optional): Arguments; default ``sys.argv[1:]``.
    """
    p = _Parser(prog='tools/compare.py', description=__doc__.split('\n')[0])
    p.add_argument('configs', nargs='+', metavar='CONFIG', help='baseline config, then methods')
    p.add_argument('--work-dir', required=True, help='comparison directory (shared by shards)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                   help='randomness.seed values (default 0 1 2; >= 3 for an interval '
                   'worth reading)')
    p.add_argument('--names', nargs='+', help='one name per config (default: file names)')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='mmseg --cfg-options for every config (train and test)')
    p.add_argument('--shard', type=shard_arg, help='i/n: run every n-th pair from i')
    p.add_argument('--rare-share', type=float, default=0.01,
                   help='a class is rare below this share of training pixels (default 0.01)')
    p.add_argument('--curves', nargs='+', default=[], metavar='KEY',
                   help='logged training scalars (e.g. cegu.w_std) to plot over iterations, '
                   'mean ± std over seeds: curves.{md,json,png}')
    a = p.parse_args(argv)
    a.names = a.names or [osp.splitext(osp.basename(c))[0] for c in a.configs]
    checks = [
        (len(a.configs) < 2, 'give a baseline config and at least one method config'),
        (len(a.names) != len(a.configs), f'--names needs {len(a.configs)} names'),
        (len(set(a.names)) < len(a.names), f'names {a.names} are not unique: pass --names'),
        (any(not re.fullmatch(r'[\w-][\w.-]*', n) for n in a.names),
         'names may contain only letters, digits, _ . - (not first)'),
        (len(set(a.seeds)) < len(a.seeds), f'--seeds {a.seeds} has repeats'),
        (min(a.seeds) < 0, '--seeds must be >= 0'),
        (not 0 < a.rare_share < 1, '--rare-share must be in (0, 1)'),
        (any('=' not in o for o in a.cfg_options), '--cfg-options items must be KEY=VALUE'),
    ] + [(not osp.isfile(c), f'config {c!r} does not exist') for c in a.configs]
    for bad, message in checks:
        if bad:
            p.error(message)
    return a


def options_dict(raw):
    """mmengine's DictAction parse of raw ``KEY=VALUE`` strings (None if empty).

    Args:
        raw (list[str]): ``--cfg-options`` items.
    """
    p = argparse.ArgumentParser()
    p.add_argument('--o', nargs='+', action=DictAction)
    return p.parse_args(['--o', *raw]).o if raw else None


def sha256_file(path):
    """Hex sha256 of a file's bytes.

    Args:
        path (str): The file.
    """
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def train_ann_files(cfg):
    """sha256 of every ``ann_file`` (split list) the training reads, searched
    recursively in ``train_dataloader`` and ``train_cfg.*dataloader`` (UDA's
    unlabeled loader); relative paths join ``data_root`` as mmseg does.

    Args:
        cfg (Config | dict): A resolved config.
    """
    out = {}

    def walk(c, root):
        if isinstance(c, dict):
            root = c.get('data_root') or root
            if c.get('ann_file'):
                p = c['ann_file'] if osp.isabs(c['ann_file']) else osp.join(root, c['ann_file'])
                if not osp.isfile(p):
                    raise DataValidationError(f'{p}: ann_file of the train dataset not found')
                out[p] = sha256_file(p)
            for v in c.values():
                walk(v, root)
        elif isinstance(c, (list, tuple)):
            for v in c:
                walk(v, root)
    walk(cfg.get('train_dataloader'), '')
    walk({k: v for k, v in (cfg.get('train_cfg') or {}).items() if k.endswith('dataloader')}, '')
    return out


def find_checkpoints(work_dir):
    """``last`` (mmengine's ``last_checkpoint`` file, else the highest
    iter_N/epoch_N.pth) and ``best`` (CheckpointHook ``save_best``'s
    ``best_*.pth``; ``best_<metric>`` each when there are several).

    Args:
        work_dir (str): A training work dir.
    """
    out = {}
    marker = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            p = f.read().strip()
        p = p if osp.isfile(p) else osp.join(work_dir, osp.basename(p))
        if osp.isfile(p):
            out['last'] = p
    ckpts = [p for pat in ('iter_*.pth', 'epoch_*.pth') for p in glob.glob(osp.join(work_dir, pat))]
    if 'last' not in out and ckpts:
        out['last'] = max(ckpts, key=lambda p: int(re.findall(r'\d+', osp.basename(p))[0]))
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')))
    for p in best:
        out['best' if len(best) == 1 else re.sub(r'_(iter|epoch)_\d+\.pth$', '',
                                                 osp.basename(p))] = p
    return out


TRAIN_ITER = re.compile(r'Iter\(train\) \[\s*(\d+)/(\d+)\]')  # mmengine's LoggerHook line


def _call(args, log, desc=None):
    """Run a tool with its output streamed into ``log``; with ``desc``, a
    progress bar over the training iterations the tool logs.

    Args:
        args (list[str]): The tool and its arguments (``sys.executable`` runs it).
        log (str): Its log file (streamed, not a result: not atomic).
        desc (str, optional): The progress bar's label.
    """
    from tqdm import tqdm
    bar = None
    with open(log, 'w') as f, subprocess.Popen(
            [sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        for line in proc.stdout:
            f.write(line)
            m = TRAIN_ITER.search(line) if desc else None
            if m:
                done, total = map(int, m.groups())
                if bar is None:
                    bar = tqdm(total=total, desc=desc, unit='it', mininterval=2)
                bar.update(done - bar.n)  # absolute: a resumed run starts part-way
        rc = proc.wait()
    if bar is not None:
        bar.close()
    if rc:
        raise C.RunFailed(rc, log)


def make_runner(raw_options):
    """The real ``run_pair``: tools/train.py, then tools/test.py per checkpoint kind.

    Args:
        raw_options (list[str]): ``--cfg-options`` items, passed on verbatim.
    """
    def run_pair(name, config, seed, d):
        d, config = osp.abspath(d), osp.abspath(config)
        opts = [*raw_options, f'randomness.seed={seed}']  # last: the pair's seed wins
        done = osp.join(d, 'train.done')
        if not osp.isfile(done):
            train, resume = ['tools/train.py', config, '--work-dir', d], []
            last = find_checkpoints(d).get('last')
            if last:  # an interrupted attempt: continue it exactly (explicit load_from,
                # as --resume alone would resume from a config's pretrained load_from)
                train.append('--resume')
                resume = [f'load_from={last}']
            _call(train + ['--cfg-options', *opts, *resume], osp.join(d, 'train.log'),
                  desc=f'{name} seed {seed}')
            atomic_write_text(done, '')
        ckpts = find_checkpoints(d)
        if 'last' not in ckpts:
            raise DataValidationError(f'{d}: training wrote no checkpoint')
        dumped = osp.join(d, osp.basename(config))  # mmengine's Runner dumps the config here
        cfg = Config.fromfile(dumped) if osp.isfile(dumped) else \
            load_tool_cfg(config, 'none', options_dict(opts), d)
        evals = {k: (p, []) for k, p in ckpts.items()}
        if cfg.model.get('teacher_ema_decay') is not None:  # UDAEncoderDecoder's EMA teacher
            evals['teacher'] = (ckpts['last'], ['model.predict_on=teacher'])
        metrics = {}
        for kind, (ckpt, extra) in evals.items():
            out = osp.join(d, f'metrics_{kind}.json')
            _call(['tools/test.py', config, ckpt, '--work-dir', osp.join(d, f'test_{kind}'),
                   '--metrics-out', out, '--cfg-options', *opts, *extra],
                  osp.join(d, f'test_{kind}.log'))
            with open(out) as f:
                metrics[kind] = json.load(f)
        return dict(metrics=metrics, checkpoints={k: p for k, (p, _) in evals.items()},
                    resolved_config=dumped if osp.isfile(dumped) else None,
                    ann_files=train_ann_files(cfg))
    return run_pair


def main(argv=None, run_pair=None):
    """Run the comparison; exit status 0, or 2 on bad input or a failed pair.

    Args:
        argv (list[str], optional): Arguments; default ``sys.argv[1:]``.
        run_pair (callable, optional): Replaces :func:`make_runner`'s runner
            (tests: no training).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    wd = osp.abspath(args.work_dir)
    configs = [osp.abspath(c) for c in args.configs]
    os.chdir(REPO)  # read relative data roots here too, as the train/test subprocesses do
    # what a finished pair must match; contents, not paths: shards on machines that
    # mount the repository elsewhere share the results
    fps = {n: dict(config_sha256=sha256_file(c), cfg_options=args.cfg_options)
           for n, c in zip(args.names, configs)}
    pairs = C.plan_pairs(args.names, configs, args.seeds)

    def body():
        state = C.run_pairs(pairs, wd, run_pair or make_runner(args.cfg_options), fps,
                            args.shard or (0, 1), log=lambda s: print(s, flush=True))
        results = C.collect(pairs, wd, fps)
        if results is None:
            if state['stale']:
                raise DataValidationError(
                    f'stale lock {state["stale"][0]} (its process is not running): delete it '
                    'and rerun to run that pair')
            print('[compare] not all pairs are finished (other shards or processes); the '
                  'process that finishes the last one writes the summary', flush=True)
            return
        cfg = load_tool_cfg(configs[0], 'none', options_dict(args.cfg_options), None)
        classes, pixels = C.count_class_pixels(cfg.train_dataloader.dataset, wd)
        meta = dict(configs=dict(zip(args.names, configs)), cfg_options=args.cfg_options,
                    command=['tools/compare.py', *argv])
        text = C.write_summary(wd, results, args.names[0], classes, pixels, args.rare_share,
                               meta)
        print(text + f'\nwritten: {osp.join(wd, "comparison.md")}, comparison.json, '
              'comparison.png', flush=True)
        if args.curves:
            print(C.write_curves(wd, args.names, args.seeds, args.curves)
                  + f'written: {osp.join(wd, "curves.md")}, curves.json, curves.png', flush=True)
    return run_tool(body)


if __name__ == '__main__':
    sys.exit(main())
