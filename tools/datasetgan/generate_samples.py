"""DatasetGAN step 1: latents + images to annotate + a grid PNG.

    python tools/datasetgan/generate_samples.py GAN_CONFIG GAN_CHECKPOINT OUT_DIR \
        [--num 16] [--seed 0] [--truncation 0.7] [--cfg-options K=V ...]

Writes OUT_DIR/latents.pt (W latents and the generator they belong to),
OUT_DIR/images/sample_XXXXX.png (annotate these) and OUT_DIR/grid.png.
``--cfg-options``: the overrides GAN_CONFIG was trained with (``tools/train.py
GAN_CONFIG --cfg-options ...``), so the generator is built as trained.
Bad input (a missing, corrupt or foreign checkpoint, ...) exits with status 2
and one ``error:`` line; impossible numbers are usage errors (also exit 2).
"""
import argparse
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

from ganseg_mm.utils.cli import positive_fraction, positive_int, run_tool
from ganseg_mm.utils.io import atomic_write_png


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('gan_config', help='mmagic StyleGAN2 config')
    p.add_argument('gan_checkpoint', help='its checkpoint (tools/train.py output)')
    p.add_argument('out_dir')
    p.add_argument('--num', type=positive_int, default=16, help='images to annotate')
    p.add_argument('--seed', type=int, default=0, help='image i uses seed + i')
    p.add_argument('--truncation', type=positive_fraction, default=0.7, help='psi in (0, 1]')
    p.add_argument('--grid-cols', type=positive_int, default=8)
    p.add_argument('--no-ema', action='store_true',
                   help="use the raw generator, not mmagic's EMA copy (short runs: the EMA, "
                   'momentum 2e-4, is still close to the initial weights); the interpreter '
                   'config must then set model.use_ema=False')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='overrides of GAN_CONFIG the checkpoint was trained with, e.g. '
                   'model.generator.out_size=256 model.discriminator.in_size=256')
    return p.parse_args(argv)


def make_grid(imgs: np.ndarray, cols: int) -> np.ndarray:
    """(N, S, S, 3) -> one image, ``cols`` per row, 2 px gaps."""
    n, s = imgs.shape[0], imgs.shape[1]
    rows = -(-n // cols)
    grid = np.full((rows * (s + 2), min(n, cols) * (s + 2), 3), 255, np.uint8)
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        grid[r * (s + 2):r * (s + 2) + s, c * (s + 2):c * (s + 2) + s] = im
    return grid


def generate(args):
    import torch

    import ganseg_mm  # noqa: F401
    from ganseg_mm.datasetgan.annotations import save_latents
    from ganseg_mm.datasets.datasetgan_annotation_dataset import sample_name
    from ganseg_mm.datasetgan.generation import mean_latent, sample_w
    from ganseg_mm.utils.gan import load_generator, to_uint8
    prefixes = ([] if args.no_ema else ['generator_ema.module.']) + ['generator.']
    gen = load_generator(args.gan_config, args.gan_checkpoint, prefixes,
                         cfg_options=args.cfg_options)
    mean_w = mean_latent(gen) if args.truncation < 1 else None
    w = sample_w(gen, [args.seed + i for i in range(args.num)], args.truncation, mean_w)
    imgs = []
    for s in range(0, args.num, 8):
        with torch.no_grad():
            img = gen(w[s:s + 8], input_is_latent=True, randomize_noise=False)
        imgs.append(to_uint8(img))
    imgs = np.concatenate(imgs)
    for i, im in enumerate(imgs):
        atomic_write_png(osp.join(args.out_dir, 'images', sample_name(i) + '.png'),
                         im)  # the generator's (BGR) order, see to_uint8
    atomic_write_png(osp.join(args.out_dir, 'grid.png'),
                     make_grid(imgs, args.grid_cols))
    save_latents(osp.join(args.out_dir, 'latents.pt'), dict(
        w=w.cpu(), out_size=gen.out_size, style_channels=gen.style_channels,
        gan_config=args.gan_config, gan_checkpoint=args.gan_checkpoint, seed=args.seed,
        truncation=args.truncation, use_ema=not args.no_ema))
    print(f'{args.num} samples -> {args.out_dir}/images, grid {args.out_dir}/grid.png')


def main(argv=None) -> int:
    return run_tool(generate, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
