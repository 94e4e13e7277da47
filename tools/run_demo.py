"""`make demo` / `make demo-full`: the four methods on the embedded demo data,
measured by the multi-seed comparison (tools/compare.py).

    python tools/run_demo.py [--full] [--work-dir DIR] [--seeds S ...] [--iters N] [--lanes K]

1. generate the demo data (procedural street scenes, Cityscapes layout, in
   ``data/demo_cityscapes``: where every demo config reads it);
2. prepare what the methods read (each step once, reused by later runs):
   the 1/8 labeled/unlabeled split files (UDA); pix2pixHD, the class
   repositories and the rendered rare-class set (GAN augmentation); StyleGAN2,
   its annotated samples, the interpreter and the generated set (DatasetGAN);
3. two comparisons through tools/compare.py, each training and testing every
   config and seed with a progress bar and ending in a table and a plot:
   ``all-labels`` (baseline vs CEGU, GAN augmentation, DatasetGAN) and
   ``1-8-labels`` (the supervised 1/8 reference vs UDA).

The quick run (``make demo``) is one seed of shortened trainings; ``--full``
(``make demo-full``) is three seeds of the configs' own schedules, the figures
docs/ and the README show (their times: docs/demo.md).
"""
import argparse
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

from ganseg_mm.demo import generate_demo_cityscapes
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
# what each mode trains: segmentation seeds and iterations, and the GANs' iterations
# (None: the configs' own schedules). The quick run shows every step end to end in
# about a quarter of an hour on 2 cores; its GANs and trainings are too short to rank
# the methods: the figures are the full run's (docs/demo.md)
QUICK = dict(name='quick', seeds=[0], iters=120, gan_iters=dict(pix2pixhd=100, stylegan2=150))
FULL = dict(name='full', seeds=[0, 1, 2], iters=None,
            gan_iters=dict(pix2pixhd=None, stylegan2=None))


def run(*cmd, lanes=1, log_dir=None):
    """Run a repository tool with this interpreter; its failure ends the demo.

    ``lanes`` > 1 runs the same command in that many processes at once, the CPU
    threads split between them (tools/compare.py: each process claims the next
    unclaimed pair under its lock file): on 2 cores one training does not keep
    both busy (``make bench``'s bench_demo_lanes, docs/demo.md). Lane 0 prints
    here, lane k to ``log_dir/lane{k}.log``.
    """
    print('+', ' '.join(cmd) + (f'  [{lanes} lanes]' if lanes > 1 else ''), flush=True)
    env = None
    if lanes > 1:
        env = dict(os.environ, OMP_NUM_THREADS=str(max(1, (os.cpu_count() or 1) // lanes)))
        os.makedirs(osp.join(ROOT, log_dir), exist_ok=True)
    procs = []
    for k in range(lanes):
        out = open(osp.join(ROOT, log_dir, f'lane{k}.log'), 'w') if k else None
        procs.append(subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=env, stdout=out,
                                      stderr=subprocess.STDOUT if out else None))
        if out:
            out.close()  # the child holds its own descriptor
    while None in [p.poll() for p in procs] and not any(p.returncode for p in procs):
        time.sleep(1)
    for p in procs:
        if p.poll() is None:  # a lane failed: stop the others as Ctrl-C would (locks freed)
            p.send_signal(signal.SIGINT)
            p.wait()
    if any(p.returncode for p in procs):
        raise SystemExit(f'error: the demo step above failed: {" ".join(cmd)}'
                         + (f' (lane logs: {log_dir})' if lanes > 1 else ''))


def once(marker, step, mode):
    """Run ``step()`` unless ``marker`` (in the step's output folder) says it was
    made for ``mode`` or for the full run (whose longer-trained GANs serve the quick
    run too); write the mode after, so an interrupted step is redone and a finished
    one is not. Returns whether the step ran."""
    path = osp.join(ROOT, marker)
    made = None
    if osp.isfile(path):
        with open(path) as f:
            made = f.read().strip()
    if made in (mode['name'], FULL['name']):
        return False
    step()
    atomic_write_text(path, mode['name'] + '\n')
    return True


def gan_train(config, work_dir, iters):
    """Train a GAN config into ``work_dir``, ``iters`` iterations (None: the
    config's own); returns its last checkpoint."""
    opts = [] if iters is None else [
        '--cfg-options', f'train_cfg.max_iters={iters}', f'default_hooks.checkpoint.interval={iters}']
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


def prepare_datasetgan(work, annotator, mode):
    """StyleGAN2, samples annotated by ``annotator`` (a stand-in for the human
    annotator: a seed-0 baseline work dir), interpreter, the generated and
    filtered set (docs/datasetgan.md)."""
    gan_cfg, w = 'configs/datasetgan/stylegan2_64_demo.py', work  # w: short, many paths
    shutil.rmtree(osp.join(ROOT, DATASETGAN_SET), ignore_errors=True)
    ckpt = gan_train(gan_cfg, f'{w}/stylegan2', mode['gan_iters']['stylegan2'])
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


def compare(work, name, entries, seeds, iters, lanes=1):
    """tools/compare.py over ``entries`` in ``work/name``, its pairs spread over
    ``lanes`` processes; then once more in this terminal, which finds every pair
    finished and prints the table."""
    opts = []
    if iters:
        opts = ['--cfg-options', f'train_cfg.max_iters={iters}',
                f'train_cfg.val_interval={iters}', f'default_hooks.checkpoint.interval={iters}',
                f'param_scheduler.0.end={iters}']
    cmd = ('tools/compare.py', *[c for _, c in entries], '--names', *[n for n, _ in entries],
           '--seeds', *map(str, seeds), '--work-dir', osp.join(work, name), *opts)
    run(*cmd, lanes=lanes, log_dir=osp.join(work, name))
    if lanes > 1:
        run(*cmd)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--full', action='store_true',
                   help=f'seeds {FULL["seeds"]} and the configs\' schedules (make demo-full)')
    p.add_argument('--work-dir', help='default work_dirs/demo (work_dirs/demo-full with --full)')
    p.add_argument('--seeds', type=int, nargs='+', help='override the seeds')
    p.add_argument('--iters', type=int, help='override max_iters of every segmentation run')
    p.add_argument('--lanes', type=positive_int, default=2,
                   help='trainings at once, the CPU threads split between them (default 2)')
    a = p.parse_args(argv)
    a.mode = FULL if a.full else QUICK
    a.seeds = a.seeds or a.mode['seeds']
    a.iters = a.iters or a.mode['iters']
    a.work_dir = a.work_dir or ('work_dirs/demo-full' if a.full else 'work_dirs/demo')
    return a


def main(argv=None) -> int:
    a = parse_args(argv)

    def body():
        generate_demo_cityscapes(osp.join(ROOT, DATA), progress=True)
        gans = 'work_dirs/demo_gans'  # the GANs, shared by the quick and the full demo
        stale = {'work_dirs/demo', 'work_dirs/demo-full', a.work_dir}
        once(f'{DATA}/splits/.demo-done', prepare_splits, a.mode)
        if once(f'{GANAUG_SET}/.demo-done', lambda: prepare_ganaug(f'{gans}/ganaug', a.mode),
                a.mode):
            drop_pairs(stale, 'ganaug')
        # DatasetGAN's stand-in annotator is this run's first-seed baseline: train it
        # first (the comparison below finds it finished), then the generated set
        allc = COMPARISONS['all-labels']
        compare(a.work_dir, 'all-labels', allc[:2], a.seeds[:1], a.iters, a.lanes)
        annotator = f'{a.work_dir}/all-labels/{allc[0][0]}/seed{a.seeds[0]}'
        if once(f'{DATASETGAN_SET}/.demo-done',
                lambda: prepare_datasetgan(f'{gans}/datasetgan', annotator, a.mode), a.mode):
            drop_pairs(stale, 'datasetgan')
        for name, entries in COMPARISONS.items():
            compare(a.work_dir, name, entries, a.seeds, a.iters, a.lanes)
        print(f'\nsummaries: {a.work_dir}/{{{",".join(COMPARISONS)}}}/comparison.{{md,png}}')
    return run_tool(body)


if __name__ == '__main__':
    sys.exit(main())
