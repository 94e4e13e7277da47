"""DatasetGAN step 4: generate a labelled, uncertainty-filtered dataset.

    python tools/datasetgan/generate_dataset.py INTERPRETER_CONFIG CHECKPOINT OUT_DIR \
        [--num 10000] [--drop 0.1] [--seed 100000] [--shard i/n] [--batch-size 4]

Generates ``--num`` images (image i from seed + i), labels each by the
ensemble's majority vote, scores it (mean of the top ``--top-fraction`` pixel
JS values), drops the ``--drop`` most uncertain and writes the rest in the
Cityscapes layout (leftImg8bit/<split>/<city>/*_leftImg8bit.png,
gtFine/<split>/<city>/*_gtFine_labelTrainIds.png) plus OUT_DIR/manifest.json.
Resumable (rerun the same command), shardable (run ``--shard 0/4`` ... ``3/4``
anywhere on the same OUT_DIR; the last shard to finish writes the dataset),
every file written atomically. CHECKPOINT may be the interpreter's work dir
(best_*.pth, else last_checkpoint). Bad input exits 2 with one ``error:`` line.
"""
import argparse
import sys

from ganseg_mm.utils.cli import run_tool, shard_arg


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='interpreter config')
    p.add_argument('checkpoint', help='interpreter checkpoint or work dir')
    p.add_argument('out_dir')
    p.add_argument('--num', type=int, default=10000, help='images generated (all shards)')
    p.add_argument('--drop', type=float, default=0.1, help='most uncertain fraction dropped')
    p.add_argument('--top-fraction', type=float, default=0.1,
                   help='image score = mean of this top fraction of pixel JS')
    p.add_argument('--seed', type=int, default=100000, help='image i uses seed + i')
    p.add_argument('--truncation', type=float, default=1.0, help='psi in (0, 1]')
    p.add_argument('--shard', type=shard_arg, default=(0, 1),
                   help='i/n: this process makes images i, i+n, ...')
    p.add_argument('--batch-size', type=int, default=4)
    p.add_argument('--split', default='train')
    p.add_argument('--city', default='datasetgan', help='sub-folder name in the layout')
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def generate(args):
    from mmengine.config import Config

    import ganseg_mm  # noqa: F401
    from ganseg_mm.datasetgan.generation import finalize, label_images
    from ganseg_mm.datasetgan.interpreter import load_interpreter, resolve_checkpoint
    shard = args.shard
    if args.num < 1:
        raise ValueError(f'--num must be >= 1, got {args.num}')
    if not 0 <= args.drop < 1:
        raise ValueError(f'--drop must be in [0, 1), got {args.drop}')
    model = load_interpreter(Config.fromfile(args.config), args.checkpoint, args.device)
    made = label_images(model, args.out_dir, args.num, args.seed, shard, args.batch_size,
                        args.truncation, args.top_fraction)
    manifest = finalize(args.out_dir, args.num, args.drop, args.split, args.city, extra=dict(
        interpreter_config=args.config, checkpoint=resolve_checkpoint(args.checkpoint),
        seed=args.seed, truncation=args.truncation, top_fraction=args.top_fraction,
        num_classes=model.head.num_classes))
    if manifest is None:
        print(f'shard {shard[0]}/{shard[1]}: {made} images labelled; other shards still running')
    else:
        print(f"{manifest['num_kept']}/{manifest['num_generated']} images kept -> "
              f'{args.out_dir} (manifest.json)')


def main(argv=None) -> int:
    return run_tool(generate, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
