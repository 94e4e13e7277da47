"""Demo stand-in for a human annotator: label samples with a trained segmenter.

    python tools/datasetgan/annotate_with_segmenter.py SEG_CONFIG SEG_CHECKPOINT \
        SAMPLES_DIR OUT_DIR [--num 16] [--scale 256x128]

NOT part of the DatasetGAN method: the method needs a person to annotate the
first ``--num`` samples. Here (no annotator, no Cityscapes) the demo baseline
segmenter does it: each square sample is resized to ``--scale`` (w x h; the
demo StyleGAN2 squeezed 256x128 scenes to a square, this undoes it), segmented,
and the labels resized back (nearest). The PNG masks in OUT_DIR then go
through ``import_annotations.py`` exactly as human masks would.
SEG_CHECKPOINT may be a work dir (its last_checkpoint is used); a missing, corrupt
or foreign checkpoint exits 2 with one ``error:`` line naming it.
"""
import argparse
import os.path as osp
import sys

import cv2
import numpy as np

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.cli import positive_int, run_tool


def scale_arg(text: str) -> tuple:
    """argparse ``type`` of ``--scale``: ``WxH``, both >= 1."""
    parts = text.lower().split('x')
    try:
        if len(parts) == 2:
            return tuple(positive_int(v) for v in parts)
    except argparse.ArgumentTypeError:
        pass
    raise argparse.ArgumentTypeError(f'must be WxH with W, H >= 1, got {text!r}')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config', help='mmseg segmenter config')
    p.add_argument('checkpoint', help='its checkpoint or work dir')
    p.add_argument('samples_dir', help='output of generate_samples.py')
    p.add_argument('out_dir', help='where the PNG masks go')
    p.add_argument('--num', type=positive_int, default=16, help='first N samples are annotated')
    p.add_argument('--scale', type=scale_arg, default='256x128', help='segmenter input w x h')
    return p.parse_args(argv)


def annotate(args):
    from mmseg.apis import inference_model

    from ganseg_mm.datasets.datasetgan_annotation_dataset import sample_name
    from ganseg_mm.utils.gan import load_segmenter
    from ganseg_mm.utils.io import atomic_write_png
    w, h = args.scale
    model = load_segmenter(args.config, args.checkpoint)
    for i in range(args.num):
        path = osp.join(args.samples_dir, 'images', sample_name(i) + '.png')
        img = cv2.imread(path)
        if img is None:
            raise DataValidationError(f'{path}: sample image not found')
        pred = inference_model(model, cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR))
        label = pred.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
        label = cv2.resize(label, img.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        atomic_write_png(osp.join(args.out_dir, sample_name(i) + '.png'), label)
    print(f'{args.num} stand-in annotations -> {args.out_dir}')


def main(argv=None) -> int:
    return run_tool(annotate, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
