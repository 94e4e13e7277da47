"""`make demo` / `make demo-full`: the four methods on the embedded demo data,
measured by the multi-seed comparison (tools/compare.py).

    python tools/run_demo.py [--full] [--work-dir DIR] [--seeds S ...] [--iters N] [--lanes K]

1. generate the demo data (procedural street scenes, Cityscapes layout, in
   ``data/demo_cityscapes``: where every demo config reads it);
2. prepare what the methods read (each step once, reused by later runs):
   the 1/8 labeled/unlabeled split files (UDA); pix2pixHD, the class
   repositories and the rendered rare-class set (GAN augmentation); StyleGAN2,
   its samples annotated by the first seed's baseline (a stand-in for a human
   annotator), the interpreter and the generated set (DatasetGAN);
3. two comparisons through tools/compare.py, each training and testing every
   config and seed with a progress bar and ending in a table and a plot:
   ``all-labels`` (baseline vs CEGU, GAN augmentation, DatasetGAN) and
   ``1-8-labels`` (the supervised 1/8 reference vs UDA).

Steps 2 and 3 overlap in ``--lanes`` K threads (default 2), each running its
tools with cores / K CPU threads: lane 0 trains the annotator and CEGU while
lane 1 trains the GANs; then the lanes start on different comparisons and
finish each other's (compare's lock files: every pair is trained once). Lane 0
prints here, lane k to ``WORK_DIR/lanes/lane{k}.log``; the tables come last.

The quick run (``make demo``) is one seed with shortened GAN and segmentation
trainings, to show every step end to end; ``--full`` (``make demo-full``) is
three seeds of the configs' own schedules, the figures docs/ and the README
show (times of both: docs/demo.md).
"""
import argparse
import contextlib
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import threading
import time

from ganseg_mm.demo import generate_demo_cityscapes
from ganseg_mm.evaluation.comparison.pairs import RESULT, pair_dir
from ganseg_mm.utils.cli import positive_int, run_tool
from ganseg_mm.utils.io import atomic_write_text

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = 'data/demo_cityscapes'  # the data_root of every demo config
BASELINE = 'configs/baseline/deeplabv3_r18_demo.py'
# comparison -> [(name, config)], baseline first
COMPARISONS = {
    'all-labels': [('baseline', BASELINE),
                   ('cegu', 'configs/cegu/deeplabv3_r18_cegu_demo.py'),
                   ('ganaug', 'configs/ganaug/deeplabv3_r18_ganaug_demo.py'),
                   ('datasetgan', 'configs/datasetgan/deeplabv3_r18_datasetgan_demo.py')],
    '1-8-labels': [('sup-1-8', 'configs/uda/deeplabv3_r18_1-8sup_demo.py'),
                   ('uda-1-8', 'configs/uda/deeplabv3_r18_uda_demo.py')],
}
GANAUG_SET = 'data/demo_cityscapes_ganaug'  # synthetic_root of the ganaug demo config
DATASETGAN_SET = 'data/demo_datasetgan'  # train data_root of the datasetgan demo config
STYLEGAN2 = 'configs/datasetgan/stylegan2_64_demo.py'
# what each mode trains: segmentation seeds and iterations, and the GANs' iterations
# (None: the configs' own schedules). The quick run shows every step end to end in
# about a quarter of an hour on 2 cores; its GANs and trainings are too short to rank
# the methods: the figures are the full run's (docs/demo.md)
QUICK = dict(name='quick', seeds=[0], iters=100, gan_iters=dict(pix2pixhd=100, stylegan2=150))
FULL = dict(name='full', seeds=[0, 1, 2], iters=None,
            gan_iters=dict(pix2pixhd=None, stylegan2=None))


_lane = threading.local()  # per thread: the environment and log file of its lane
STOP = threading.Event()  # a lane failed: the others stop


class Stopped(Exception):
    """A lane's step was interrupted because another lane failed."""


def say(msg):
    """Print ``msg`` to this lane's output (lane 0: the terminal)."""
    log = getattr(_lane, 'log', None)
    if log:
        with open(log, 'a') as f:
            f.write(msg + '\n')
    else:
        print(msg, flush=True)


def run(*cmd):
    """Run a repository tool with this interpreter, in the calling thread's lane
    (:func:`lanes`); its failure ends the demo."""
    say('+ ' + ' '.join(cmd))
    t0, log = time.time(), getattr(_lane, 'log', None)
    out = open(log, 'a') if log else None
    try:  # a process group of its own: stopping it stops the trainings it started
        p = subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=getattr(_lane, 'env', None),
                             stdout=out, stderr=subprocess.STDOUT if out else None,
                             start_new_session=True)
    finally:
        if out:
            out.close()  # the child holds its own descriptor
    try:
        while p.poll() is None:
            if STOP.is_set():
                raise Stopped
            time.sleep(0.5)
    except (Stopped, KeyboardInterrupt):
        interrupt(p)
        raise
    if p.returncode:
        raise SystemExit(f'error: the demo step failed: {" ".join(cmd)}'
                         + (f' (its output: {osp.relpath(log, ROOT)})' if log else ''))
    say(f'[demo] {cmd[0]} done in {time.time() - t0:.0f} s')


GRACE = 60  # seconds an interrupted tool has to end before it is killed


def interrupt(p):
    """Stop ``p``'s process group as Ctrl-C would (tools/compare.py then frees its
    pair locks); kill it if it has not ended in :data:`GRACE` seconds."""
    with contextlib.suppress(ProcessLookupError):  # it may have ended meanwhile
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    p.wait()


def lanes(jobs, log_dir):
    """Run the callables ``jobs`` at once, each in a thread of its own whose tools
    get an equal share of the CPU threads (``OMP_NUM_THREADS``): on 2 cores one
    training does not keep both busy (``make bench``'s bench_demo_lanes,
    docs/demo.md). Lane 0 prints here, lane k to ``log_dir/lane{k}.log``. A failed
    lane stops the others and the demo."""
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, (os.cpu_count() or 1) // len(jobs))))
    os.makedirs(osp.join(ROOT, log_dir), exist_ok=True)
    errors = []

    def work(k, job):
        _lane.env = env
        _lane.log = osp.join(ROOT, log_dir, f'lane{k}.log') if k else None
        try:
            job()
        except BaseException as e:  # SystemExit too: how a step's failure ends the demo
            errors.append(e)
            STOP.set()
    threads = [threading.Thread(target=work, args=(k, j)) for k, j in enumerate(jobs)]
    for k in range(1, len(jobs)):
        open(osp.join(ROOT, log_dir, f'lane{k}.log'), 'w').close()
        print(f'[demo] lane {k} writes to {log_dir}/lane{k}.log', flush=True)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        STOP.set()
        for t in threads:
            t.join()
        raise
    finally:
        STOP.clear()
    failed = [e for e in errors if not isinstance(e, Stopped)]
    if failed:
        raise failed[0]


def wait_for(done):
    """Block this lane until ``done()`` (another lane's work) is true, or a lane fails."""
    while not done():
        if STOP.is_set():
            raise Stopped
        time.sleep(0.5)


def made(marker, mode=None):
    """Whether the step whose ``marker`` (in its output folder) is given was made
    for ``mode`` or for the full run (whose longer-trained GANs serve the quick run
    too); by any run when ``mode`` is None (a step both make alike). The marker is
    written after the step, so an interrupted one is redone."""
    path = osp.join(ROOT, marker)
    if not osp.isfile(path) or mode is None:
        return osp.isfile(path)
    with open(path) as f:
        return f.read().strip() in (mode['name'], FULL['name'])


def once(marker, step, mode=None):
    """Run ``step()`` unless :func:`made`; returns whether it ran."""
    if made(marker, mode):
        return False
    step()
    atomic_write_text(osp.join(ROOT, marker), (mode['name'] if mode else 'any') + '\n')
    return True


def gan_train(config, work_dir, iters):
    """Train a GAN config into ``work_dir``, ``iters`` iterations (None: the
    config's own); returns its last checkpoint."""
    opts = [] if iters is None else ['--cfg-options', f'train_cfg.max_iters={iters}',
                                     f'default_hooks.checkpoint.interval={iters}']
    run('tools/train.py', config, '--work-dir', work_dir, *opts)
    with open(osp.join(ROOT, work_dir, 'last_checkpoint')) as f:  # mmengine's record
        return f.read().strip()


def prepare_splits():
    """The 1/8 labeled / 7/8 unlabeled split files the UDA demo configs read."""
    run('tools/make_splits.py', BASELINE, '--fractions', '1/8')


def prepare_ganaug(work, mode):
    """pix2pixHD, class repositories, composed rare-class label maps, the
    rendered synthetic set (docs/ganaug.md)."""
    gan_cfg = 'configs/ganaug/pix2pixhd_demo.py'
    shutil.rmtree(osp.join(ROOT, GANAUG_SET), ignore_errors=True)  # a new GAN: a new set
    ckpt = gan_train(gan_cfg, osp.join(work, 'pix2pixhd'), mode['gan_iters']['pix2pixhd'])
    run('tools/ganaug/extract_classes.py', BASELINE, '--split', 'train', '--out',
        osp.join(work, 'repository'))
    run('tools/ganaug/compose_labels.py', BASELINE, '--repo', osp.join(work, 'repository'),
        '--out', GANAUG_SET, '--num', '100', '--target', 'sqrt', '--seed', '0')
    run('tools/ganaug/synthesize.py', gan_cfg, ckpt, '--root', GANAUG_SET, '--batch-size', '8')


def prepare_datasetgan(work, ckpt, annotator):
    """From the StyleGAN2 checkpoint ``ckpt``: samples annotated by ``annotator`` (a
    stand-in for the human annotator: a seed-0 baseline work dir), the interpreter,
    the generated and filtered set (docs/datasetgan.md)."""
    gan_cfg, w = STYLEGAN2, work  # w: short, many paths
    shutil.rmtree(osp.join(ROOT, DATASETGAN_SET), ignore_errors=True)
    run('tools/datasetgan/generate_samples.py', gan_cfg, ckpt, f'{w}/samples', '--num', '32',
        '--no-ema')
    run('tools/datasetgan/annotate_with_segmenter.py', BASELINE, annotator, f'{w}/samples',
        f'{w}/annotator_masks', '--num', '16')
    run('tools/datasetgan/import_annotations.py', f'{w}/samples', f'{w}/annotator_masks',
        f'{w}/annotations', '--config', 'configs/datasetgan/interpreter_demo.py')
    opts = [f'model.gan_checkpoint={ckpt}'] + [
        f'{d}.dataset.{k}={w}/{v}' for d in ('train_dataloader', 'val_dataloader')
        for k, v in (('samples_dir', 'samples'), ('ann_dir', 'annotations'))]
    run('tools/train.py', 'configs/datasetgan/interpreter_demo.py', '--work-dir',
        f'{w}/interpreter', '--cfg-options', *opts)
    run('tools/datasetgan/generate_dataset.py', 'configs/datasetgan/interpreter_demo.py',
        f'{w}/interpreter', DATASETGAN_SET, '--num', '300', '--drop', '0.1')


def drop_pairs(work_dirs, name):
    """Remove ``name``'s finished all-labels pairs: they were trained on the set
    just replaced (tools/compare.py would refuse to mix them)."""
    for wd in work_dirs:
        shutil.rmtree(osp.join(ROOT, wd, 'all-labels', name), ignore_errors=True)


def compare(work, name, entries, seeds, iters):
    """tools/compare.py over ``entries`` in ``work/name``. Run in several lanes at
    once, each process claims the next pair nobody holds (compare's lock files);
    the one that finishes the last pair prints the table."""
    opts = []
    if iters:  # no validation during training: compare's test step evaluates the
        # same last checkpoint on the same split
        opts = ['--cfg-options', f'train_cfg.max_iters={iters}',
                f'train_cfg.val_begin={iters + 1}', f'default_hooks.checkpoint.interval={iters}',
                f'param_scheduler.0.end={iters}']
    run('tools/compare.py', *[c for _, c in entries], '--names', *[n for n, _ in entries],
        '--seeds', *map(str, seeds), '--work-dir', osp.join(work, name), *opts)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--full', action='store_true',
                   help=f'seeds {FULL["seeds"]} and the configs\' schedules (make demo-full)')
    p.add_argument('--work-dir', help='default work_dirs/demo (work_dirs/demo-full with --full)')
    p.add_argument('--seeds', type=int, nargs='+', help='override the seeds')
    p.add_argument('--iters', type=int, help='override max_iters of every segmentation run')
    p.add_argument('--lanes', type=positive_int, default=2,
                   help='steps at once, the CPU threads split between them (default 2)')
    a = p.parse_args(argv)
    a.mode = FULL if a.full else QUICK
    a.seeds = a.seeds or a.mode['seeds']
    a.iters = a.iters or a.mode['iters']
    a.work_dir = a.work_dir or ('work_dirs/demo-full' if a.full else 'work_dirs/demo')
    return a


def restore_sigint():
    """Handle SIGINT again when started with it ignored (``make demo &`` in a script):
    the tools would inherit the ignored signal, and a failed lane could not stop the
    others (:func:`interrupt`)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv=None) -> int:
    a = parse_args(argv)
    restore_sigint()

    def body():
        t0 = time.time()
        generate_demo_cityscapes(osp.join(ROOT, DATA), progress=True)
        once(f'{DATA}/splits/.demo-done', prepare_splits)  # the same for both runs
        gans = 'work_dirs/demo_gans'  # the GANs, shared by the quick and the full demo
        stale = {'work_dirs/demo', 'work_dirs/demo-full', a.work_dir}
        allc, s0 = COMPARISONS['all-labels'], a.seeds[:1]
        # DatasetGAN's stand-in annotator: this run's first-seed baseline
        annotator = pair_dir(f'{a.work_dir}/all-labels', allc[0][0], s0[0])
        dgan_marker = f'{DATASETGAN_SET}/.demo-done'
        dgan_todo, ckpt, dgan_ready = not made(dgan_marker, a.mode), [], threading.Event()

        def measure(name, entries=None, seeds=None):
            return lambda: compare(a.work_dir, name, entries or COMPARISONS[name],
                                   seeds or a.seeds, a.iters)

        def gan_side():  # GAN augmentation's set, and StyleGAN2
            if once(f'{GANAUG_SET}/.demo-done', lambda: prepare_ganaug(f'{gans}/ganaug', a.mode),
                    a.mode):
                drop_pairs(stale, 'ganaug')
            if dgan_todo:
                ckpt.append(gan_train(STYLEGAN2, f'{gans}/datasetgan/stylegan2',
                                      a.mode['gan_iters']['stylegan2']))

        def datasetgan_side():  # the rest of DatasetGAN's set, once the annotator is trained
            if dgan_todo:
                wait_for(lambda: osp.isfile(osp.join(ROOT, annotator, RESULT)))
                once(dgan_marker, lambda: prepare_datasetgan(f'{gans}/datasetgan', ckpt[0],
                                                             annotator), a.mode)
                drop_pairs(stale, 'datasetgan')
            dgan_ready.set()

        def all_labels():  # its DatasetGAN pairs read the generated set
            wait_for(dgan_ready.is_set)
            measure('all-labels')()

        def sequence(*steps):
            return lambda: [step() for step in steps]

        first = measure('all-labels', allc[:2], s0)  # the annotator first, then CEGU
        if a.lanes == 1:
            sequence(gan_side, first, datasetgan_side, all_labels, measure('1-8-labels'))()
        else:  # every lane ends by finishing the other lanes' comparisons
            lanes([sequence(first, measure('1-8-labels'), all_labels),
                   sequence(gan_side, datasetgan_side, all_labels, measure('1-8-labels'))]
                  + [sequence(first, measure('1-8-labels'), all_labels)] * (a.lanes - 2),
                  f'{a.work_dir}/lanes')
            for name in COMPARISONS:  # every pair finished: each table, printed here
                measure(name)()
        print(f'\nsummaries: {a.work_dir}/{{{",".join(COMPARISONS)}}}/comparison.{{md,png}}'
              f'\n[demo] finished in {(time.time() - t0) / 60:.1f} min')
    return run_tool(body)


if __name__ == '__main__':
    sys.exit(main())
