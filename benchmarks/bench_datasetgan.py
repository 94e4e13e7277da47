"""DatasetGAN interpreter training: ours (bounded memory) vs datasetGAN_release's.

Naive (nv-tlabs/datasetGAN_release): every pixel's feature of every annotated
image is upsampled to the output size and held in RAM (N x S x S x D floats),
then the MLPs train on random pixel batches from it. Ours
(:class:`DatasetGANInterpreter`): each step synthesizes one annotated image
again and gathers the features of the sampled pixels only, at the layers'
native resolutions. Both train the same 10-MLP ensemble (19 classes) on 4096
pixels per step with Adam, on mmagic's StyleGAN2 generator with config-f
widths (channel_multiplier=2, random weights: speed and memory do not depend
on them). Each variant runs in its own process; peak memory is the process's
peak RSS (``ru_maxrss``, includes ~0.6 GB of imports, reported as baseline).
pixels/s counts trained pixels over the training steps (naive: feature
building excluded, reported separately). Also: our gathered features vs the
naive upsampled ones at the same pixels (max abs difference).
Target: <= 4 GB peak RSS for 16 images at 512x512 (512 px GAN).
"""
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PIXELS = 4096

GAN_CFG = """model = dict(generator=dict(type='StyleGANv2Generator', out_size={size},
    style_channels=512, channel_multiplier=2))
"""


def _rss_mb():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(mode, size, num_images, steps):
    """One variant; returns a dict (run in a fresh process for the RSS figure)."""
    import torch

    import ganseg_mm  # noqa: F401
    from ganseg_mm.models.utils.stylegan2_features import (gather_features, synthesize,
                                                           upsample_features)
    from mmseg.registry import MODELS
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as d:
        cfg = osp.join(d, 'gan.py')
        with open(cfg, 'w') as f:
            f.write(GAN_CFG.format(size=size))
        model = MODELS.build(dict(
            type='DatasetGANInterpreter', gan_config=cfg, pixels_per_image=PIXELS,
            head=dict(type='DatasetGANInterpreterHead', num_classes=19)))
    model.train()
    gen = model.generator
    w = gen.style_mapping(torch.randn(num_images, 512)).detach()
    gt = torch.randint(0, 19, (num_images, size, size))
    opt = torch.optim.Adam(model.head.parameters(), lr=1e-3)
    base = _rss_mb()
    out = dict(baseline_mb=base, dim=model.head.in_channels)
    if mode == 'equal':
        _, maps = synthesize(gen, w[:2], model.layers)
        coords = torch.randint(0, size, (2000, 2))
        naive = upsample_features(maps, size, 1)[coords[:, 0] * size + coords[:, 1]]
        ours = gather_features(maps, coords, size, 1)
        out.update(max_diff=float((naive - ours).abs().max()), max_abs=float(naive.abs().max()))
        return out
    if mode == 'naive':
        t = time.perf_counter()
        feats = torch.empty(num_images * size * size, out['dim'])  # datasetGAN_release's array
        for b in range(num_images):
            _, maps = synthesize(gen, w[b:b + 1], model.layers)
            feats[b * size * size:(b + 1) * size * size] = upsample_features(maps, size)
            del maps
        out['build_s'] = time.perf_counter() - t
        labels = gt.flatten()
    t = time.perf_counter()
    for s in range(steps):
        if mode == 'ours':
            b = s % num_images
            loss = model(w[b:b + 1], gt[b:b + 1], mode='loss')['loss_ce']
        else:
            idx = torch.randint(0, feats.shape[0], (PIXELS,))
            loss = model.head.loss(feats[idx], labels[idx])['loss_ce']
        opt.zero_grad()
        loss.backward()
        opt.step()
    out.update(pixels_per_s=steps * PIXELS / (time.perf_counter() - t), peak_mb=_rss_mb())
    return out


def _run(mode, size, num_images, steps, in_process=False):
    if in_process:  # --quick smoke run: no fresh process, RSS not meaningful
        return _measure(mode, size, num_images, steps)
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '2'))
    p = subprocess.run([sys.executable, __file__, '--worker', mode, str(size), str(num_images),
                        str(steps)], cwd=REPO, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-3000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def naive_gb(size, num_images, dim):
    return num_images * size * size * dim * 4 / 2**30


def run(args):
    quick = getattr(args, 'quick', False)
    # (size, images, naive runs?) ; naive at 512 x 16 would need ~92 GB
    cases = [(32, 4, True)] if quick else [(64, 4, True), (64, 16, True), (128, 4, True),
                                           (128, 16, False), (512, 16, False)]
    steps = 3 if quick else 16
    rows = []
    eq = _run('equal', 32 if quick else 64, 2, 0, quick)
    rows.append(dict(what=f"features: max |ours - naive| ({32 if quick else 64}px, D={eq['dim']})",
                     a_label='max_diff', a=eq['max_diff'], b_label='max_abs', b=eq['max_abs'],
                     ratio=eq['max_diff'] / eq['max_abs'], target='~0 (float rounding)'))
    for size, n, with_naive in cases:
        ours = _run('ours', size, n, steps, quick)
        est = naive_gb(size, n, ours['dim'])
        if with_naive:
            naive = _run('naive', size, n, steps, quick)
            rows.append(dict(what=f'peak RSS MB, {size}px x {n} img', a_label='ours',
                             a=ours['peak_mb'], b_label='naive', b=naive['peak_mb'],
                             ratio=ours['peak_mb'] / naive['peak_mb'], target='<= naive'))
            rows.append(dict(what=f'train pixels/s, {size}px x {n} img', a_label='ours',
                             a=ours['pixels_per_s'], b_label='naive', b=naive['pixels_per_s'],
                             ratio=ours['pixels_per_s'] / naive['pixels_per_s'],
                             target=f"- (naive also spends {naive['build_s']:.1f}s building)"))
        else:
            rows.append(dict(
                what=f'peak RSS MB, {size}px x {n} img (naive not run)', a_label='ours',
                a=ours['peak_mb'], b_label='naive_features_MB_est', b=est * 1024,
                ratio=ours['peak_mb'] / (est * 1024),
                target='<= 4096 MB' if size == 512 else '-'))
            rows.append(dict(what=f'train pixels/s, {size}px x {n} img', a_label='ours',
                             a=ours['pixels_per_s'], b_label='baseline_MB',
                             b=ours['baseline_mb'], ratio=float('nan'), target='-'))
    return rows


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--worker':
        sys.path.insert(0, REPO)
        print(json.dumps(_measure(sys.argv[2], *(int(a) for a in sys.argv[3:6]))))
    else:
        import argparse
        ap = argparse.ArgumentParser()
        ap.add_argument('--quick', action='store_true')
        for r in run(ap.parse_args()):
            print(r)
