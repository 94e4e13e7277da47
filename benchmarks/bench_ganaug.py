"""GAN augmentation: generator and synthesis throughput, mixed-loader throughput, composer speed.

* generator images/s (bare forward, no_grad, batch 1) of the full Cityscapes
  generator (configs/ganaug/pix2pixhd_cityscapes.py) at 256x512 and 512x1024;
  ``--quick`` uses the demo generator instead (smoke run);
* ``tools/ganaug/synthesize.py``'s loop (``render_set``: read, condition, forward, PNG
  write) images/s as a ratio of the bare forward of the same generator on the
  same maps and batch size (target >= 0.9x: reading and writing overlap),
  with the full Cityscapes generator on maps composed at 256x512 (the issue's
  size; ``--quick``: skipped), and with the tiny demo generator on 128x256
  demo maps, where the forward is so cheap that the I/O dominates (reported,
  the worst case for overlap);
* GANAugmentedDataset (offline synthetic set, ratio 0.25) vs the plain
  CityscapesDataset, samples/s through the demo training pipeline, interleaved
  rounds, best of each (target >= 0.95x);
* composer label maps/s on demo scenes.
"""
import glob
import os
import os.path as osp
import shutil
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GAN_DEMO = 'configs/ganaug/pix2pixhd_demo.py'
GAN_FULL = 'configs/ganaug/pix2pixhd_cityscapes.py'


def _generator(config, device):
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmagic.registry import MODELS
    init_default_scope('mmagic')
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(osp.join(REPO, config)).model.generator).to(
        device).eval()


def _forward_rate(gen, size, batch, reps, device):
    import torch
    x = torch.zeros(batch, gen.in_channels, *size, device=device)
    x[:, 0] = 1
    with torch.no_grad():
        gen(x)
        best = float('inf')
        for _ in range(reps):
            if device != 'cpu':
                torch.cuda.synchronize()
            t = time.perf_counter()
            gen(x)
            if device != 'cpu':
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - t)
    return batch / best


def _bare_rate(gen, root, info, batch, device):
    """Forward only, on the same maps (conditions built beforehand)."""
    import torch
    from ganseg_mm.utils.gan import instance_boundary, make_condition
    from ganseg_mm.utils.labels import read_instances, read_label
    labs = sorted(glob.glob(osp.join(root, 'gtFine/train/synth/*_labelTrainIds.png')))
    conds = []
    for i in range(0, len(labs), batch):
        ls = [read_label(p, info['num_classes']) for p in labs[i:i + batch]]
        es = [instance_boundary(read_instances(p, l.shape)) for p, l in zip(labs[i:i + batch], ls)]
        conds.append(make_condition(torch.as_tensor(ls), torch.as_tensor(es),
                                    info['num_classes']).to(device))
    with torch.no_grad():
        gen(conds[0])
        if device != 'cpu':
            torch.cuda.synchronize()
        t = time.perf_counter()
        for c in conds:
            out = gen(c)
            out.cpu()
        if device != 'cpu':
            torch.cuda.synchronize()
    return len(labs) / (time.perf_counter() - t)


def _synthesis_rates(gen, synth, info, batch, device, rounds, num):
    """(bare forward, render_set) images/s: interleaved rounds, best of each."""
    from ganseg_mm.ganaug.renderer import render_set
    bare, loop = 0., 0.
    for _ in range(rounds):
        bare = max(bare, _bare_rate(gen, synth, info, batch, device))
        shutil.rmtree(osp.join(synth, 'leftImg8bit'), ignore_errors=True)
        for f in glob.glob(osp.join(synth, 'manifest.json')):
            os.remove(f)
        t = time.perf_counter()
        render_set(synth, gen, info, dict(generator='bench'), batch_size=batch,
                   device=device, progress=False)
        loop = max(loop, num / (time.perf_counter() - t))
    return bare, loop


def _loader_rates(real_root, synth_root, rounds):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(REPO, 'configs/ganaug/deeplabv3_r18_ganaug_demo.py'))
    mixed_cfg = cfg.train_dataloader.dataset
    mixed_cfg.dataset.data_root = real_root
    mixed_cfg.synthetic_root = synth_root
    plain = DATASETS.build(mixed_cfg.dataset)
    mixed = DATASETS.build(mixed_cfg)
    n = min(len(plain), len(mixed))
    best = {'plain': 0., 'mixed': 0.}
    for _ in range(rounds):
        for name, ds in (('plain', plain), ('mixed', mixed)):
            t = time.perf_counter()
            for i in range(n):
                ds[i]
            best[name] = max(best[name], n / (time.perf_counter() - t))
    return best


def run(args):
    sys.path.insert(0, REPO)
    os.chdir(REPO)
    import torch
    import ganseg_mm  # noqa: F401
    from ganseg_mm.demo import generate_demo_cityscapes
    from ganseg_mm.ganaug.class_repository import build_repository
    from ganseg_mm.ganaug.compose_set import compose_set
    from tests.test_ganaug.ganaug_helpers import demo_files
    from mmseg.datasets import CityscapesDataset
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    quick = args.quick
    work = tempfile.mkdtemp(prefix='bench_ganaug_')
    rows = []
    try:
        root = osp.join(work, 'demo') + '/'
        generate_demo_cityscapes(root, num_train=16 if quick else 48, num_val=1)
        files = demo_files(root)
        repo = osp.join(work, 'repo')
        build_repository(files, repo, CityscapesDataset.METAINFO['classes'], progress=False)
        num = 16 if quick else 64
        t = time.perf_counter()
        compose_set([s for _, s in files], repo, osp.join(work, 'synth'), num, progress=False)
        rate = num / (time.perf_counter() - t)
        rows.append(dict(what='composer label maps/s (128x256, incl. PNG writes)',
                         a_label='-', a=rate, b_label='maps/s', b=rate, ratio=1.0,
                         target='report'))
        # generator bare forward at the sizes
        cfg = GAN_DEMO if quick else GAN_FULL
        gen = _generator(cfg, device)
        for size in ((256, 512), (512, 1024)):
            if quick and size[0] > 256:
                continue
            r = _forward_rate(gen, size, 1, 2 if quick else (5 if device != 'cpu' else 2),
                              device)
            rows.append(dict(what=f'generator images/s {osp.basename(cfg)} {size[0]}x{size[1]}'
                             f' b1 {device}', a_label='-', a=r, b_label='img/s', b=r,
                             ratio=1.0, target='report'))
        # synthesis loop vs bare forward, same generator, maps and batch size
        info = dict(num_classes=19, use_instance=True, ignore_index=255)
        if not quick:  # the full generator on maps composed at 256x512
            big = osp.join(work, 'demo_256x512') + '/'
            generate_demo_cityscapes(big, num_train=16, num_val=1, height=256, width=512)
            big_repo, big_synth = osp.join(work, 'repo_big'), osp.join(work, 'synth_big')
            big_num = 16
            build_repository(demo_files(big), big_repo, CityscapesDataset.METAINFO['classes'],
                             progress=False)
            compose_set([s for _, s in demo_files(big)], big_repo, big_synth, big_num,
                        progress=False)
            bare, loop = _synthesis_rates(_generator(GAN_FULL, device), big_synth, info,
                                          4, device, 2, big_num)
            rows.append(dict(what=f'synthesis images/s, full generator 256x512 b4 {device}',
                             a_label='bare forward', a=bare, b_label='render_set', b=loop,
                             ratio=loop / bare, target='>= 0.9x'))
        synth = osp.join(work, 'synth')
        bare, loop = _synthesis_rates(_generator(GAN_DEMO, device), synth,
                                      info, 8, device, 1 if quick else 3, num)
        rows.append(dict(what=f'synthesis images/s, demo generator 128x256 b8 {device}',
                         a_label='bare forward', a=bare, b_label='render_set', b=loop,
                         ratio=loop / bare, target='report (I/O-bound)'))
        rates = _loader_rates(root, synth, 2 if quick else 5)
        rows.append(dict(what='train loader samples/s (demo pipeline, 0 workers)',
                         a_label='CityscapesDataset', a=rates['plain'],
                         b_label='GANAugmentedDataset', b=rates['mixed'],
                         ratio=rates['mixed'] / rates['plain'], target='>= 0.95x'))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows
