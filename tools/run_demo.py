"""`make demo`: the main job on the embedded demo data, end to end.

1. generate the demo dataset (procedural scenes in Cityscapes layout) and
   what the chosen experiments need (split files, ...);
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

from ganseg_mm.demo import generate_demo_cityscapes  # noqa: E402
from ganseg_mm.utils.report import format_iou_table  # noqa: E402

# name -> (config, preparation steps it needs); later methods add theirs here
EXPERIMENTS = {
    'baseline': ('configs/baseline/deeplabv3_r18_demo.py', []),
    'cegu': ('configs/cegu/deeplabv3_r18_cegu_demo.py', []),
    'sup-1/8': ('configs/uda/deeplabv3_r18_1-8sup_demo.py', ['splits']),
    'uda-1/8': ('configs/uda/deeplabv3_r18_uda_demo.py', ['splits']),
    'ganaug': ('configs/ganaug/deeplabv3_r18_ganaug_demo.py', ['ganaug']),
    # after 'baseline': its checkpoint is the demo's stand-in annotator
    'datasetgan': ('configs/datasetgan/deeplabv3_r18_datasetgan_demo.py', ['datasetgan']),
}
GANAUG_SYNTH = 'data/demo_cityscapes_ganaug'  # synthetic_root of the ganaug demo config
RARE_IMAGE_SHARE = 0.15


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def prepare_splits(data_root: str, work_dir: str) -> None:
    """The 1/8 labeled / 7/8 unlabeled split files the UDA demo configs read."""
    if osp.isfile(osp.join(data_root, 'splits', '1-8_seed0_unlabeled.txt')):
        return
    run([sys.executable, 'tools/make_splits.py', 'configs/baseline/deeplabv3_r18_demo.py',
         '--fractions', '1/8', '--cfg-options',
         f'train_dataloader.dataset.data_root={data_root.rstrip("/")}/'])


def prepare_ganaug(data_root: str, work_dir: str) -> None:
    """GAN side of the ganaug experiment (docs/ganaug.md): pix2pixHD, class
    repositories, composed rare-class label maps, the rendered synthetic set."""
    import shutil
    wd = osp.join(work_dir, 'ganaug-synthesis')
    gan_wd = osp.join(wd, 'pix2pixhd')
    root_opt = ['--cfg-options', f'train_dataloader.dataset.data_root={data_root.rstrip("/")}/']
    run([sys.executable, 'tools/train.py', 'configs/ganaug/pix2pixhd_demo.py', '--work-dir',
         gan_wd, *root_opt])
    run([sys.executable, 'tools/ganaug/extract_classes.py', 'configs/baseline/deeplabv3_r18_demo.py',
         '--split', 'train', '--out', osp.join(wd, 'repository'), *root_opt])
    shutil.rmtree(osp.join(ROOT, GANAUG_SYNTH), ignore_errors=True)  # a new GAN: a new set
    run([sys.executable, 'tools/ganaug/compose_labels.py', 'configs/baseline/deeplabv3_r18_demo.py',
         '--repo', osp.join(wd, 'repository'), '--out', GANAUG_SYNTH, '--num', '100',
         '--target', 'sqrt', '--seed', '0', *root_opt])
    with open(osp.join(ROOT, gan_wd, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    run([sys.executable, 'tools/ganaug/synthesize.py', 'configs/ganaug/pix2pixhd_demo.py', ckpt,
         '--root', GANAUG_SYNTH, '--batch-size', '8'])


def prepare_datasetgan(data_root: str, work_dir: str) -> None:
    """DatasetGAN side of the demo (docs/datasetgan.md): StyleGAN2, samples, the
    baseline segmenter as stand-in annotator, interpreter, filtered dataset."""
    import shutil
    annotator = osp.join(work_dir, 'baseline')
    if not osp.isfile(osp.join(ROOT, annotator, 'last_checkpoint')):
        raise SystemExit(f'error: the datasetgan demo annotates with the baseline model; '
                         f'train it first (no checkpoint in {annotator}): '
                         'tools/run_demo.py --experiments baseline datasetgan')
    w = osp.join(work_dir, 'datasetgan-synthesis')
    for sub in ('stylegan2', 'samples', 'annotator_masks', 'annotations', 'interpreter',
                'dataset'):
        shutil.rmtree(osp.join(ROOT, w, sub), ignore_errors=True)  # a new GAN: all stale
    gan, py = 'configs/datasetgan/stylegan2_64_demo.py', sys.executable
    ckpt = f'{w}/stylegan2/iter_600.pth'
    run([py, 'tools/train.py', gan, '--work-dir', f'{w}/stylegan2', '--cfg-options',
         f'train_dataloader.dataset.data_root={data_root.rstrip("/")}/leftImg8bit/train'])
    run([py, 'tools/datasetgan/generate_samples.py', gan, ckpt, f'{w}/samples', '--num', '32',
         '--no-ema'])
    run([py, 'tools/datasetgan/annotate_with_segmenter.py', 'configs/baseline/deeplabv3_r18_demo.py',
         annotator, f'{w}/samples', f'{w}/annotator_masks', '--num', '16'])
    run([py, 'tools/datasetgan/import_annotations.py', f'{w}/samples', f'{w}/annotator_masks',
         f'{w}/annotations'])
    opts = [f'model.gan_checkpoint={ckpt}'] + [
        f'{d}.dataset.{k}={w}/{v}' for d in ('train_dataloader', 'val_dataloader')
        for k, v in (('samples_dir', 'samples'), ('ann_dir', 'annotations'))]
    run([py, 'tools/train.py', 'configs/datasetgan/interpreter_demo.py', '--work-dir',
         f'{w}/interpreter', '--cfg-options', *opts])
    run([py, 'tools/datasetgan/generate_dataset.py', 'configs/datasetgan/interpreter_demo.py',
         f'{w}/interpreter', f'{w}/dataset', '--num', '300', '--drop', '0.1'])


# step name -> function(data_root, work_dir); each leaves what the configs read
PREPARE = {'splits': prepare_splits, 'ganaug': prepare_ganaug,
           'datasetgan': prepare_datasetgan}


def experiment_options(name: str, opts: list, root: str, work_dir: str) -> list:
    """--cfg-options pointing experiment ``name`` at the demo data under ``root``."""
    if name == 'datasetgan':  # trains on the generated set, evaluates on the real val
        generated = osp.join(work_dir, 'datasetgan-synthesis', 'dataset') + '/'
        return [o for o in opts if not o.startswith('train_dataloader.dataset.data_root=')
                ] + [f'train_dataloader.dataset.data_root={generated}']
    if 'uda' in name:
        return opts + [f'train_cfg.unlabeled_dataloader.dataset.dataset.data_root={root}']
    if name == 'ganaug':  # the real data sits one level down in GANAugmentedDataset
        return [o.replace('train_dataloader.dataset.', 'train_dataloader.dataset.dataset.')
                for o in opts]
    return list(opts)


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
    results, times, prepared = {}, {}, set()
    for name in a.experiments:
        cfg, wd = EXPERIMENTS[name][0], osp.join(a.work_dir, name.replace('/', '-'))
        t = time.time()
        for step in EXPERIMENTS[name][1]:  # right before the first experiment needing it
            if step not in prepared:
                PREPARE[step](a.data_root, a.work_dir)
                prepared.add(step)
        exp_opts = experiment_options(name, opts, root, a.work_dir)
        run([sys.executable, 'tools/train.py', cfg, '--work-dir', wd,
             '--cfg-options', *exp_opts])
        with open(osp.join(wd, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
        out = osp.join(wd, 'metrics.json')
        run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', wd,
             '--metrics-out', out, '--cfg-options', *exp_opts])
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
