"""Compose new label maps from class repositories (GAN augmentation: "reconstruction").

    python tools/ganaug/compose_labels.py CONFIG --repo REPO_DIR --out SYNTH_ROOT --num 200 \
        [--target sqrt|inverse|'{"16": 8, "17": 8}'] [--classes 12 15 16 17 18] [--seed 0] \
        [--things person car ...] [--ground road sidewalk ...] [--size H W]

Base maps are the CONFIG's ``--split`` label maps; regions of under-represented
classes are pasted so the class-pixel distribution moves toward the target.
Writes SYNTH_ROOT/gtFine/<split>/synth/*_gtFine_{labelTrainIds,instanceIds}.png
and SYNTH_ROOT/compose_manifest.json (per map: base, seed, pastes, class
pixels; distance to the target before/after). Deterministic; rerun completes.
Things (``--things``: pasted standing on ``--ground``, with instance ids) are
Cityscapes' when the classes are Cityscapes', none otherwise; name them (ids
or class names) for another dataset, or pass ``--things`` alone for none.
``--size H W``: compose at the pix2pixHD generator's training size (e.g. 512
1024 for configs/ganaug/pix2pixhd_cityscapes.py), so that synthesis renders at
it and no synthetic image is an upscaled one.
"""
import argparse
import json
import math
import sys

from ganseg_mm.utils.cli import (add_dataset_split_args, nonnegative_int, positive_float,
                                 positive_fraction, positive_int, run_tool)


def parse_target(text):
    if text in ('sqrt', 'inverse'):
        return text
    try:
        factors = {int(k): float(v) for k, v in json.loads(text).items()}
    except (ValueError, AttributeError, TypeError):
        factors = None
    if factors is None or any(c < 0 or not (math.isfinite(f) and f >= 0)
                              for c, f in factors.items()):
        raise argparse.ArgumentTypeError(
            "must be sqrt, inverse or a JSON dict of class ids >= 0 to factors >= 0, "
            f"got {text!r}")
    return factors


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_dataset_split_args(p)
    p.add_argument('--repo', required=True, help='directory from tools/ganaug/extract_classes.py')
    p.add_argument('--out', required=True, help='root of the synthetic dataset')
    p.add_argument('--num', type=positive_int, default=100, help='number of composed maps')
    p.add_argument('--target', type=parse_target, default='sqrt')
    p.add_argument('--classes', type=nonnegative_int, nargs='+',
                   help='classes that may be pasted')
    p.add_argument('--pastes', type=nonnegative_int, nargs=2, default=(1, 32),
                   metavar=('MIN', 'MAX'), help='pastes per map')
    p.add_argument('--paste-fraction', type=positive_fraction, default=0.2,
                   help="a map stops pasting once this share of its pixels is pasted")
    p.add_argument('--scale-range', type=positive_float, nargs=2, default=(0.8, 1.25))
    p.add_argument('--seed', type=nonnegative_int, default=0, help="numpy's seeds are >= 0")
    p.add_argument('--things', nargs='*', metavar='CLASS',
                   help='classes (ids or names) pasted standing on ground, with instance '
                        "ids; default: Cityscapes' things for Cityscapes classes, else none")
    p.add_argument('--ground', nargs='*', metavar='CLASS',
                   help="classes things stand on; default: Cityscapes' road, sidewalk, "
                        'terrain for Cityscapes classes, else none')
    p.add_argument('--size', type=positive_int, nargs=2, metavar=('H', 'W'),
                   help="compose the maps at this size: the pix2pixHD generator's training "
                   'size, at which tools/ganaug/synthesize.py then renders them (default: '
                   "each base map's own size)")
    args = p.parse_args(argv)
    for name, (lo, hi) in (('--pastes', args.pastes), ('--scale-range', args.scale_range)):
        if lo > hi:
            p.error(f'argument {name}: must be MIN <= MAX, got {lo} {hi}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from ganseg_mm.datasets.label_files import dataset_files
    from ganseg_mm.ganaug.compose_set import compose_set

    def run():
        files, _, _ = dataset_files(args.config, args.split, args.cfg_options)
        man = compose_set([s for _, s in files], args.repo, args.out, args.num, args.target,
                          args.classes, args.seed, tuple(args.pastes),
                          args.paste_fraction, tuple(args.scale_range),
                          thing_classes=args.things, ground_classes=args.ground, size=args.size)
        print(json.dumps(dict(out=args.out, maps=len(man['maps']),
                              distance_before=round(man['distance_before'], 4),
                              distance_after=round(man['distance_after'], 4))))
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
