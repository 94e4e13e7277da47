"""`make demo`: the main job on the embedded demo data, end to end.

1. generate the demo dataset (procedural scenes in Cityscapes layout);
2. train each experiment through ``tools/train.py`` (CPU, a few hundred iters);
3. evaluate its checkpoint through ``tools/test.py`` with mmseg's IoU metric;
4. print the per-class IoU table, rare classes (in fewer than 15% of the
   training images) marked ``*``.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)
sys.path.insert(0, ROOT)

from ganseg_mm.datasets.demo_data import generate_demo_cityscapes  # noqa: E402
from ganseg_mm.utils.report import format_iou_table  # noqa: E402

# name -> config; later methods add their demo configs here
EXPERIMENTS = {
    'baseline': 'configs/demo/deeplabv3_r18_demo.py',
    'cegu': 'configs/demo/deeplabv3_r18_cegu_demo.py',
}
RARE_IMAGE_SHARE = 0.15


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-root', default='data/demo_cityscapes')
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--iters', type=int, help='override max_iters of every experiment')
    p.add_argument('--experiments', nargs='+', default=list(EXPERIMENTS),
                   choices=list(EXPERIMENTS))
    a = p.parse_args(argv)
    t0 = time.time()
    manifest = generate_demo_cityscapes(a.data_root, progress=True)
    root = a.data_root.rstrip('/') + '/'
    opts = [f'{d}.dataset.data_root={root}'
            for d in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if a.iters:
        opts += [f'train_cfg.max_iters={a.iters}', f'train_cfg.val_interval={a.iters}',
                 f'default_hooks.checkpoint.interval={a.iters}',
                 f'param_scheduler.0.end={a.iters}']
    results, times = {}, {}
    for name in a.experiments:
        cfg, wd = EXPERIMENTS[name], osp.join(a.work_dir, name)
        t = time.time()
        run([sys.executable, 'tools/train.py', cfg, '--work-dir', wd, '--cfg-options', *opts])
        with open(osp.join(wd, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
        out = osp.join(wd, 'metrics.json')
        run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', wd,
             '--metrics-out', out, '--cfg-options', *opts])
        with open(out) as f:
            results[name] = json.load(f)
        times[name] = time.time() - t
    from cityscapesscripts.helpers.labels import trainId2label
    classes = [trainId2label[i].name for i in range(19)]
    px = manifest['class_pixels']['train']
    n_img = manifest['class_images']['train']
    total = sum(v for k, v in px.items() if int(k) < 19)
    share = [px.get(str(i), 0) / total for i in range(19)]
    rare = [n_img.get(str(i), 0) / manifest['params']['num_train'] < RARE_IMAGE_SHARE
            for i in range(19)]
    print('\nPer-class IoU (%) on the demo val split; * = rare class '
          f'(in < {RARE_IMAGE_SHARE:.0%} of training images)\n')
    print(format_iou_table(classes, share, rare, results))
    print('\n' + ', '.join(f'{n}: {times[n]:.0f}s' for n in a.experiments) +
          f'; total {time.time() - t0:.0f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
