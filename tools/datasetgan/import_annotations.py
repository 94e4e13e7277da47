"""DatasetGAN step 2: import annotations of the generated samples.

    python tools/datasetgan/import_annotations.py SAMPLES_DIR SRC_DIR OUT_DIR \
        (--config INTERPRETER_CONFIG | --classes cityscapes | --classes road car ...) \
        [--ignore-index 255]

SRC_DIR holds, per annotated sample, ``sample_XXXXX.png`` (single-channel
class ids, IGNORE = unlabelled) or ``sample_XXXXX.json`` (labelme polygons,
labels = class names or ids, drawn in file order, the rest unlabelled). The
classes are those of the interpreter that will learn them: its config's
``train_dataloader.dataset.classes`` (``--config``), or ``--classes``; one of
the two is required (no default class set: a 6-class annotation set must not
pass a 19-class check). Each file is checked (a sample of that name exists,
size = the generator's output size, class ids in range) and written to
OUT_DIR/sample_XXXXX.png. Bad input exits with status 2 and one ``error:``
line naming the file (and the out-of-range ids).
"""
import argparse
import glob
import os.path as osp
import sys

from ganseg_mm.utils.cli import nonnegative_int, run_tool
from ganseg_mm.utils.errors import DataValidationError


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('samples_dir', help='output of generate_samples.py')
    p.add_argument('src_dir', help='PNG masks and/or labelme JSON files')
    p.add_argument('out_dir')
    classes = p.add_mutually_exclusive_group(required=True)
    classes.add_argument('--config', help='interpreter config (step 3) whose '
                         'train_dataloader.dataset.classes the annotations use')
    classes.add_argument('--classes', nargs='+',
                         help="class names in id order, or 'cityscapes' (19 trainIds)")
    p.add_argument('--ignore-index', type=nonnegative_int,
                   help="unlabelled id (default: the --config dataset's, else 255)")
    return p.parse_args(argv)


def import_annotations(samples_dir, src_dir, out_dir, classes, ignore_index=255):
    """Check and write every annotation of ``src_dir``; returns the names."""
    from ganseg_mm.datasetgan.annotations import labelme_to_mask
    from ganseg_mm.datasets.datasetgan_annotation_dataset import (
        check_mask, load_latents, read_png_mask, sample_name)
    from ganseg_mm.utils.io import atomic_write_png
    info = load_latents(osp.join(samples_dir, 'latents.pt'))
    n, size = info['w'].shape[0], info['out_size']
    known = {sample_name(i) for i in range(n)}
    files = sorted(glob.glob(osp.join(src_dir, 'sample_*.png')) +
                   glob.glob(osp.join(src_dir, 'sample_*.json')))
    if not files:
        raise DataValidationError(f'{src_dir}: no sample_XXXXX.png / .json annotations')
    stems = [osp.splitext(osp.basename(f))[0] for f in files]
    dup = sorted({s for s in stems if stems.count(s) > 1})
    if dup:
        raise DataValidationError(f'{src_dir}: both PNG and JSON for {dup}')
    masks = {}
    for f, stem in zip(files, stems):
        if stem not in known:
            raise DataValidationError(f'{f}: no generated sample {stem} in {samples_dir} '
                                      f'({n} samples)')
        mask = labelme_to_mask(f, classes, ignore_index) if f.endswith('.json') \
            else read_png_mask(f)
        masks[stem] = check_mask(mask, size, len(classes), ignore_index, f)
    for stem, mask in masks.items():  # write only when every file is good
        atomic_write_png(osp.join(out_dir, stem + '.png'), mask)
    return sorted(masks)


def main(argv=None) -> int:
    args = parse_args(argv)

    def run():
        from ganseg_mm.datasetgan.annotations import annotation_classes
        classes, config_ignore = annotation_classes(args.classes, args.config)
        ignore_index = next(i for i in (args.ignore_index, config_ignore, 255) if i is not None)
        names = import_annotations(args.samples_dir, args.src_dir, args.out_dir, classes,
                                   ignore_index)
        print(f'{len(names)} annotations ({len(classes)} classes) -> {args.out_dir}')
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
