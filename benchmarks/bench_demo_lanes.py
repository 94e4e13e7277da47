"""`make demo`'s lanes (tools/run_demo.py ``--lanes``): two trainings side by
side, the CPU threads split between them, against the same two one after the
other with every thread each.

Both arms train the demo baseline and CEGU configs through ``tools/train.py``
for the same iterations on a small generated demo set, in one run.
Target: in turn / side by side wall time > 1x (the lanes pay off).
"""
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = ('configs/baseline/deeplabv3_r18_demo.py', 'configs/cegu/deeplabv3_r18_cegu_demo.py')


def _train(config, work, root, iters, threads):
    opts = [f'{d}.dataset.data_root={root}'
            for d in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    opts += [f'train_cfg.max_iters={iters}', 'train_cfg.val_interval=100000',
             'default_hooks.checkpoint.interval=100000', f'param_scheduler.0.end={iters}']
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', config, '--work-dir', work, '--cfg-options', *opts],
        cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS=str(threads)), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def _wall(batches):
    """Seconds to run ``batches``: lists of process starters, each list's at
    once, the lists one after the other."""
    t = time.perf_counter()
    for batch in batches:
        procs = [start() for start in batch]
        if any(p.wait() for p in procs):
            raise RuntimeError('a benchmark training failed')
    return time.perf_counter() - t


def run(args):
    from ganseg_mm.demo import generate_demo_cityscapes
    iters = 5 if args.quick else 40
    cores = os.cpu_count() or 1
    half = max(1, cores // 2)  # the threads of each of run_demo's 2 lanes
    with tempfile.TemporaryDirectory(prefix='bench_lanes_') as tmp:
        root = os.path.join(tmp, 'data')
        generate_demo_cityscapes(root, num_train=16, num_val=1)

        def start(i, threads, arm):
            return lambda: _train(CONFIGS[i], os.path.join(tmp, f'{arm}{i}'), root, iters,
                                  threads)
        in_turn = _wall([[start(0, cores, 'turn')], [start(1, cores, 'turn')]])
        side = _wall([[start(0, half, 'lane'), start(1, half, 'lane')]])
    return [dict(what=f'2 demo trainings x {iters} iters: wall s, speed-up',
                 a_label=f'in turn ({cores} threads)', a=in_turn,
                 b_label=f'2 lanes ({half} each)', b=side, ratio=in_turn / side,
                 target='> 1x')]
