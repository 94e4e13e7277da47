"""CEGU vs plain CE: train-step time, peak memory, inference time (same model/batch).

CEGU as configured by default (weighting + adversarial term, discriminator at
full resolution, ``input_downsample=1``) and with ``input_downsample=4``.

Each variant trains DeepLabV3 R-18 through a real mmengine Runner in its own
process (``_train_step.measure``: clean peak memory) on demo scenes at 256x512,
batch 2; the step time runs from ``before_train_iter`` to the end of
``after_train_iter`` (so it includes the discriminator's own update), data
loading excluded; the fastest steady iteration is reported. Inference: both
models in one process, interleaved, fastest of 10 rounds.
CE is measured before and after the CEGU runs and the faster run is kept, so
drift of the machine does not favour CEGU.
Targets: step time <= 1.15x, inference 1.00x.
"""
import os.path as osp
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _train_step import REPO, measure  # noqa: E402

SIZE = (256, 512)  # (h, w)


def _inference(rounds):
    """Both test-time models in one process, interleaved; min seconds per batch."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import ganseg_mm  # noqa: F401
    init_default_scope('mmseg')
    models = {}
    for name, cfg in (('CE', 'configs/baseline/deeplabv3_r18_demo.py'),
                      ('CEGU', 'configs/cegu/deeplabv3_r18_cegu_demo.py')):
        models[name] = MODELS.build(Config.fromfile(osp.join(REPO, cfg)).model).eval()
    models['CEGU'].load_state_dict(models['CE'].state_dict())
    x = torch.rand(2, 3, *SIZE)
    best = {k: float('inf') for k in models}
    with torch.no_grad():
        for _ in range(rounds):
            for k, m in models.items():
                t = time.perf_counter()
                m(x, mode='tensor')
                best[k] = min(best[k], time.perf_counter() - t)
    return best


def _measure(config, root, iters, downsample=1):
    options = {}
    if 'cegu' in config:
        options = {'custom_hooks.1.warmup_iters': 0,
                   'custom_hooks.1.discriminator.input_downsample': downsample}
    return measure(config, root, iters, SIZE, options)


def run(args):
    sys.path.insert(0, REPO)
    from ganseg_mm.demo import generate_demo_cityscapes
    root = tempfile.mkdtemp(prefix='bench_cegu_') + '/'
    generate_demo_cityscapes(root, num_train=8, num_val=1, height=SIZE[0], width=SIZE[1])
    iters = 6 if args.quick else 20
    base = 'configs/baseline/deeplabv3_r18_demo.py'
    ce_runs = [_measure(base, root, iters)]
    cegu_runs = {d: _measure('configs/cegu/deeplabv3_r18_cegu_demo.py', root, iters, d)
                 for d in (1, 4)}
    ce_runs.append(_measure(base, root, iters))  # CE before and after: the faster
    ce = min(ce_runs, key=lambda r: r['step'])
    rows = []
    for down, cegu in cegu_runs.items():
        tag = 'full-resolution D (default)' if down == 1 else f'D input_downsample={down}'
        rows.append(dict(what=f'train step s, R18 256x512 b2 ({tag})', a_label='CE',
                         a=ce['step'], b_label='CEGU', b=cegu['step'],
                         ratio=cegu['step'] / ce['step'], target='<= 1.15x'))
        rows.append(dict(what=f'peak memory MB in training ({tag})', a_label='CE',
                         a=ce['mem_mb'], b_label='CEGU', b=cegu['mem_mb'],
                         ratio=cegu['mem_mb'] / ce['mem_mb'], target='report'))
    inf = _inference(3 if args.quick else 10)
    rows.append(dict(what='inference s/batch of 2 (same graph)', a_label='CE', a=inf['CE'],
                     b_label='CEGU', b=inf['CEGU'], ratio=inf['CEGU'] / inf['CE'],
                     target='1.00x'))
    return rows
