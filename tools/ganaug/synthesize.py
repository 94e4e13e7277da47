"""Render composed label maps into a synthetic dataset (GAN augmentation: "synthesis").

    python tools/ganaug/synthesize.py GAN_CONFIG CHECKPOINT --root SYNTH_ROOT \
        [--batch-size 8] [--shard i/n] [--device cuda] [--cfg-options K=V ...]

SYNTH_ROOT holds the maps of tools/ganaug/compose_labels.py (gtFine/<split>/synth/),
each rendered at its own size (compose them at the GAN's training size with
``compose_labels.py --size``: no image is resized); images go to
SYNTH_ROOT/leftImg8bit/<split>/synth/ and, once the set is complete,
SYNTH_ROOT/manifest.json (class pixel counts, base map, seed per image; the
generator fingerprint). Resumable (rerun renders what is missing),
atomic writes. Several processes: ``--shard i/n`` each, or
``torchrun --nproc_per_node N tools/ganaug/synthesize.py ...`` (RANK/WORLD_SIZE; each
rank uses cuda:LOCAL_RANK when --device cuda). ``--cfg-options``: the overrides
the GAN was trained with (``tools/train.py GAN_CONFIG --cfg-options ...``), so
the generator is built as trained; they are part of the set's fingerprint.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

from ganseg_mm.utils.cli import positive_int, resolve_shard, run_tool, shard_arg


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='pix2pixHD config (configs/gan/...)')
    p.add_argument('checkpoint', help='checkpoint written by tools/train.py')
    p.add_argument('--root', required=True, help='synthetic dataset root')
    p.add_argument('--split', default='train')
    p.add_argument('--batch-size', type=positive_int, default=8)
    p.add_argument('--shard', type=shard_arg,
                   help='i/n: render every n-th map from i (default: torchrun '
                   'RANK/WORLD_SIZE or 0/1)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='overrides of GAN_CONFIG the checkpoint was trained with, e.g. '
                   'model.generator.n_blocks=6')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from ganseg_mm.ganaug.compose_set import COMPOSE_MANIFEST
    from ganseg_mm.ganaug.renderer import load_pix2pixhd, render_set
    from ganseg_mm.utils.output_dir import file_digest
    shard = resolve_shard(args.shard)
    device = args.device
    if device == 'cuda' and 'LOCAL_RANK' in os.environ:
        device = f'cuda:{os.environ["LOCAL_RANK"]}'

    def run():
        gen, info = load_pix2pixhd(args.config, args.checkpoint, device, args.cfg_options)
        cpath = osp.join(args.root, COMPOSE_MANIFEST)
        fingerprint = dict(generator=file_digest(args.checkpoint),
                           config=osp.basename(args.config),
                           compose=file_digest(cpath) if osp.isfile(cpath) else None)
        if args.cfg_options:  # only then: sets rendered without them keep their fingerprint
            fingerprint['cfg_options'] = args.cfg_options
        res = render_set(args.root, gen, info, fingerprint, args.split, args.batch_size,
                         shard, device)
        print(json.dumps(dict(res, shard=f'{shard[0]}/{shard[1]}')))
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
