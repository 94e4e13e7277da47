"""Score how well each synthetic image shows its label map (GAN augmentation: "checking").

    python tools/ganaug/score_alignment.py SEG_CONFIG SEG_CHECKPOINT --root SYNTH_ROOT \
        [--batch-size 4] [--device cuda]

A segmenter trained on the real data (SEG_CHECKPOINT may be its work dir)
predicts on every image of the complete synthetic set SYNTH_ROOT; its IoU
against the composed label map is written to SYNTH_ROOT/alignment.json (per
image: score and per-class IoU; per class: IoU over the set) with the plot
SYNTH_ROOT/alignment_per_class.png, and printed per class. Train on the images
that pass with ``GANAugmentedDataset(min_alignment=..., drop_worst=...)``.
Bad checkpoints, sets or label maps exit 2 with one ``error:`` line.
"""
import argparse
import json
import os.path as osp
import sys

from ganseg_mm.utils.cli import positive_int, run_tool


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='mmseg segmenter config')
    p.add_argument('checkpoint', help='its checkpoint or work dir')
    p.add_argument('--root', required=True, help='synthetic dataset root (synthesize.py)')
    p.add_argument('--batch-size', type=positive_int, default=4)
    p.add_argument('--device', default='cpu')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)

    def run():
        from ganseg_mm.ganaug.alignment import score_alignment
        from ganseg_mm.ganaug.compose_set import COMPOSE_MANIFEST
        from ganseg_mm.utils.errors import DataValidationError
        from ganseg_mm.utils.gan import load_segmenter, resolve_checkpoint
        from ganseg_mm.utils.output_dir import file_digest
        cpath = osp.join(args.root, COMPOSE_MANIFEST)
        if not osp.isfile(cpath):
            raise DataValidationError(f'{cpath}: missing; not a composed synthetic set')
        with open(cpath) as f:
            names = json.load(f)['class_names']
        checkpoint = resolve_checkpoint(args.checkpoint)
        model = load_segmenter(args.config, checkpoint, args.device)
        head = model.decode_head
        if head.num_classes != len(names):
            raise DataValidationError(f'{args.config}: the segmenter has {head.num_classes} '
                                      f'classes, the synthetic set {len(names)}')
        res = score_alignment(args.root, model, names, head.ignore_index, args.batch_size,
                              dict(config=osp.basename(args.config),
                                   checkpoint=file_digest(checkpoint)))
        for c, v in res['per_class'].items():
            iou = 'n/a' if v['iou'] is None else f'{100 * v["iou"]:6.2f}'
            print(f'{int(c):>3} {v["name"]:<15} images {v["images"]:>5}  IoU {iou}')
        print(json.dumps(dict(root=args.root, images=len(res['images']),
                              score_mean=res['score_mean'])))
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
