"""DatasetGAN step 2: import annotations of the generated samples.

    python tools/datasetgan/import_annotations.py SAMPLES_DIR SRC_DIR OUT_DIR \
        [--classes cityscapes | --classes road car ...] [--ignore-index 255]

SRC_DIR holds, per annotated sample, ``sample_XXXXX.png`` (single-channel
class ids, IGNORE = unlabelled) or ``sample_XXXXX.json`` (labelme polygons,
labels = class names or ids, drawn in file order, the rest unlabelled). Each is
checked (a sample of that name exists, size = the generator's output size,
known class ids) and written to OUT_DIR/sample_XXXXX.png. Bad input exits with
status 2 and one ``error:`` line naming the file.
"""
import argparse
import glob
import os.path as osp
import sys

from ganseg_mm.utils.errors import DataValidationError


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('samples_dir', help='output of generate_samples.py')
    p.add_argument('src_dir', help='PNG masks and/or labelme JSON files')
    p.add_argument('out_dir')
    p.add_argument('--classes', nargs='+', default=['cityscapes'],
                   help="class names in id order, or 'cityscapes' (19 trainIds)")
    p.add_argument('--ignore-index', type=int, default=255)
    return p.parse_args(argv)


def class_names(classes):
    if classes == ['cityscapes']:
        from mmseg.datasets import CityscapesDataset
        return list(CityscapesDataset.METAINFO['classes'])
    return list(classes)


def import_annotations(samples_dir, src_dir, out_dir, classes, ignore_index=255):
    """Check and write every annotation of ``src_dir``; returns the names."""
    from ganseg_mm.datasetgan.annotations import labelme_to_mask
    from ganseg_mm.datasets.datasetgan_annotation_dataset import (check_mask, load_latents,
                                                           read_png_mask, sample_name)
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
    try:
        names = import_annotations(args.samples_dir, args.src_dir, args.out_dir,
                                   class_names(args.classes), args.ignore_index)
    except DataValidationError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'{len(names)} annotations -> {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
