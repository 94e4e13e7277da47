"""DatasetGAN step 4: generate a labelled, uncertainty-filtered dataset.

    python tools/datasetgan/generate_dataset.py INTERPRETER_CONFIG CHECKPOINT OUT_DIR \
        [--num 10000] [--drop 0.1] [--seed 100000] [--shard i/n] [--batch-size 4] \
        [--cfg-options K=V ...]

Generates ``--num`` images (image i from seed + i), labels each by the
ensemble's majority vote, scores it (mean of the top ``--top-fraction`` pixel
JS values), drops the ``--drop`` most uncertain and writes the rest in the
Cityscapes layout (leftImg8bit/<split>/<city>/*_leftImg8bit.png,
gtFine/<split>/<city>/*_gtFine_labelTrainIds.png) plus OUT_DIR/manifest.json.
Resumable (rerun the same command, also after kill -9), shardable (run
``--shard 0/4`` ... ``3/4`` anywhere on the same OUT_DIR, at the same time or
not; exactly one writes the dataset, under a lock), every file written
atomically. OUT_DIR/params.json records the parameters: a rerun with another
``--drop`` relabels only the dropped images and selects again, other changed
parameters are refused. CHECKPOINT may be the interpreter's work dir
(best_*.pth, else last_checkpoint). ``--cfg-options``: the overrides the
interpreter was trained with (``tools/train.py INTERPRETER_CONFIG --cfg-options
...``), recorded with the other parameters. Bad input exits 2 with one
``error:`` line.
"""
import argparse
import sys

from mmengine.config import DictAction

from ganseg_mm.utils.cli import (fraction_below_one, positive_fraction, positive_int,
                                 run_tool, shard_arg)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='interpreter config')
    p.add_argument('checkpoint', help='interpreter checkpoint or work dir')
    p.add_argument('out_dir')
    p.add_argument('--num', type=positive_int, default=10000, help='images generated (all shards)')
    p.add_argument('--drop', type=fraction_below_one, default=0.1,
                   help='most uncertain fraction dropped')
    p.add_argument('--top-fraction', type=positive_fraction, default=0.1,
                   help='image score = mean of this top fraction of pixel JS')
    p.add_argument('--seed', type=int, default=100000, help='image i uses seed + i')
    p.add_argument('--truncation', type=positive_fraction, default=0.7,
                   help='psi in (0, 1]; 0.7 as DatasetGAN samples (recorded in the manifest)')
    p.add_argument('--shard', type=shard_arg, default=(0, 1),
                   help='i/n: this process makes images i, i+n, ...')
    p.add_argument('--batch-size', type=positive_int, default=4)
    p.add_argument('--split', default='train')
    p.add_argument('--city', default='datasetgan', help='sub-folder name in the layout')
    p.add_argument('--device', default='cpu')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='overrides of the interpreter config the checkpoint was trained with')
    return p.parse_args(argv)


def generate(args):
    from mmengine.config import Config

    import ganseg_mm  # noqa: F401
    from ganseg_mm.datasetgan.generation import claim_output, finalize, label_images
    from ganseg_mm.datasetgan.interpreter import load_interpreter
    from ganseg_mm.utils.gan import resolve_checkpoint
    from ganseg_mm.utils.output_dir import file_digest
    shard = args.shard
    checkpoint = resolve_checkpoint(args.checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = load_interpreter(cfg, checkpoint, args.device)
    params = dict(
        num=args.num, seed=args.seed, truncation=args.truncation,
        top_fraction=args.top_fraction, config=file_digest(args.config),
        checkpoint=file_digest(checkpoint), split=args.split, city=args.city, drop=args.drop)
    if args.cfg_options:  # only then: folders made without them keep their record
        params['cfg_options'] = args.cfg_options
    reselected = claim_output(args.out_dir, params)
    made = label_images(model, args.out_dir, args.num, args.seed, shard, args.batch_size,
                        args.truncation, args.top_fraction)
    manifest = finalize(args.out_dir, args.num, args.drop, args.split, args.city, extra=dict(
        interpreter_config=args.config, checkpoint=checkpoint,
        seed=args.seed, truncation=args.truncation, top_fraction=args.top_fraction,
        num_classes=model.head.num_classes))
    again = f' ({made} dropped images labelled again)' if reselected else ''
    if manifest is None:
        print(f'shard {shard[0]}/{shard[1]}: {made} images labelled; other shards still running')
    else:
        print(f"{manifest['num_kept']}/{manifest['num_generated']} images kept{again} -> "
              f'{args.out_dir} (manifest.json)')


def main(argv=None) -> int:
    return run_tool(generate, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
