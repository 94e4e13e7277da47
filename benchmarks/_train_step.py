"""Shared by the train-step benchmarks: one config, its own process, a real Runner.

``measure(config, root, iters, size, options)`` trains ``config`` for ``iters``
iterations on ``root`` at ``size`` (h, w), batch 2, in a fresh process (so the
peak memory is its own), and returns the fastest steady step time (seconds,
``before_train_iter`` to the end of ``after_train_iter``, data loading
excluded) and the peak memory (``torch.cuda.max_memory_allocated`` on GPU,
else the process's peak RSS), in MB. ``options`` are ``--cfg-options`` style
overrides applied last.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _worker(config, root, work_dir, iters, size, options):
    sys.path.insert(0, REPO)
    import resource

    import torch
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    from ganseg_mm.demo.config import point_cfg_at_data
    cfg = Config.fromfile(osp.join(REPO, config))
    point_cfg_at_data(cfg, root, size, iters, work_dir, jitter=False)
    cfg.train_cfg.val_interval = 10**9
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**9)
    cfg.default_hooks.logger.interval = 10**6
    cfg.merge_from_dict(options)
    times, t0 = [], [0.0]

    class StartTimer(Hook):  # HIGHEST: before every other hook's before_train_iter
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            t0[0] = time.perf_counter()

    class StopTimer(Hook):  # LOWEST: after every other hook's update
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if torch.cuda.is_available():
                torch.cuda.synchronize()  # GPU work is asynchronous: time it finished
            times.append(time.perf_counter() - t0[0])

    runner = Runner.from_cfg(cfg)
    runner.register_hook(StartTimer(), priority='HIGHEST')
    runner.register_hook(StopTimer(), priority='LOWEST')
    runner.train()
    if torch.cuda.is_available():
        mem = torch.cuda.max_memory_allocated() / 2**20
    else:
        mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # fastest steady iteration: the least disturbed estimate on a shared machine
    print(json.dumps(dict(step=min(times[3:]), mem_mb=mem)))


def measure(config, root, iters, size, options=None):
    with tempfile.TemporaryDirectory() as wd:
        p = subprocess.run([sys.executable, __file__, config, root, wd, str(iters),
                            json.dumps(list(size)), json.dumps(options or {})],
                           cwd=REPO, capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=REPO))
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


if __name__ == '__main__':
    _worker(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]),
            tuple(json.loads(sys.argv[5])), json.loads(sys.argv[6]))
