"""Class pixel frequencies of a dataset and, with an evaluation, frequency vs IoU.

    python tools/ganaug/analyze_labels.py CONFIG [--split train] --out DIR \
        [--metrics work_dirs/.../metrics.json] [--rare 0.01]

Works on any dataset config (real, the synthetic set, or a GANAugmentedDataset
mix, counted with its repeats). Label maps are counted once by
:func:`ganseg_mm.datasets.class_stats.image_class_pixels` (mmseg's
``LoadAnnotations``; cached in DIR, so a rerun reads them again only if they
changed). Writes DIR/class_frequencies.json and, given the metrics JSON of
``tools/test.py --metrics-out`` with per-class IoU (``PerClassIoUMetric``; for a
config evaluated with mmseg's ``IoUMetric`` add ``--cfg-options
test_evaluator.type=PerClassIoUMetric`` to tools/test.py), DIR/freq_vs_iou.png
(seed 000's Fig. 2; classes rarer than ``--rare`` in red) and the Spearman
correlation (``scipy.stats.spearmanr``; ties share their average rank).
With ``--gan-config/--gan-checkpoint``, the generator renders the split's label
maps and DIR/gan_colour_error.json holds the per-class mean-colour error (0-255)
of its images against the real ones (how well it learned the classes).
"""
import argparse
import json
import os.path as osp
import sys

from ganseg_mm.utils.cli import add_dataset_split_args, run_tool


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_dataset_split_args(p)
    p.add_argument('--out', required=True)
    p.add_argument('--metrics', help='metrics JSON of tools/test.py --metrics-out with '
                   'per-class IoU (PerClassIoUMetric)')
    p.add_argument('--rare', type=float, default=0.01,
                   help='pixel frequency below which a class is marked rare')
    p.add_argument('--gan-config', help='pix2pixHD config: also render the split\'s label '
                   'maps and report the per-class mean-colour error against the real images')
    p.add_argument('--gan-checkpoint', help='checkpoint for --gan-config')
    return p.parse_args(argv)


def load_metrics(path: str) -> dict:
    """The metrics JSON of ``tools/test.py --metrics-out``; a missing or
    unreadable file is a :class:`DataValidationError` naming it."""
    from ganseg_mm.utils.errors import DataValidationError
    if not osp.isfile(path):
        raise DataValidationError(f'{path}: metrics file not found')
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise DataValidationError(f'{path}: not a readable metrics JSON '
                                  f'({type(e).__name__})') from None


def main(argv=None) -> int:
    args = parse_args(argv)
    from ganseg_mm.datasets.class_stats import image_class_pixels
    from ganseg_mm.datasets.label_files import split_dataset
    from ganseg_mm.ganaug.analysis import class_frequencies, iou_table, rank_correlation
    from ganseg_mm.utils.io import atomic_write_text
    from ganseg_mm.utils.plots import scatter_png

    def run():
        metrics = load_metrics(args.metrics) if args.metrics else None  # before the counting
        ds, _ = split_dataset(args.config, args.split, args.cfg_options)
        names = list(ds.metainfo['classes'])
        ious = iou_table(metrics, names, args.metrics) if args.metrics else None
        freq = class_frequencies(image_class_pixels(ds, args.out, progress=True))
        print(flush=True)  # ends the progress bar's line
        freq.update(classes=names, config=args.config, split=args.split)
        out = dict(frequencies=osp.join(args.out, 'class_frequencies.json'))
        if ious is not None:
            corr = rank_correlation(freq['frequency'], ious, names=('frequency', 'IoU'))
            rho = None if corr.note else round(corr.rho, 3)
            freq.update(iou=[None if v != v else v for v in ious],  # JSON has no NaN
                        spearman_freq_iou=None if corr.note else corr.rho,
                        spearman_pairs=corr.n)
            if corr.note:
                print(f'warning: Spearman correlation of frequency and IoU undefined: '
                      f'{corr.note}', file=sys.stderr)
            keep = [i for i, v in enumerate(ious) if v == v and freq['frequency'][i] > 0]
            out['plot'] = osp.join(args.out, 'freq_vs_iou.png')
            scatter_png(out['plot'], [freq['frequency'][i] for i in keep],
                        [ious[i] for i in keep], [names[i] for i in keep],
                        'class pixel frequency (log)', 'IoU (%)',
                        f'{osp.basename(args.config)} {args.split}: frequency vs IoU '
                        f'(Spearman {"n/a" if rho is None else f"{rho:.2f}"})',
                        highlight=[freq['frequency'][i] < args.rare for i in keep])
            out['spearman_freq_iou'] = rho
        if args.gan_config:
            from ganseg_mm.datasets.label_files import label_files
            from ganseg_mm.ganaug.analysis import gan_colour_error
            from ganseg_mm.ganaug.renderer import load_pix2pixhd
            gen, info = load_pix2pixhd(args.gan_config, args.gan_checkpoint)
            err = gan_colour_error(gen, info, label_files(ds))
            out['gan_colour_error'] = osp.join(args.out, 'gan_colour_error.json')
            atomic_write_text(out['gan_colour_error'], json.dumps(err, indent=1))
            out['gan_colour_error_mean'] = round(err['mean'], 2)
        atomic_write_text(out['frequencies'], json.dumps(freq, indent=1))
        for i, n in enumerate(names):
            iou = ''
            if ious is not None:
                iou = '  IoU    n/a' if ious[i] != ious[i] else f'  IoU {ious[i]:6.2f}'
            print(f'{i:>3} {n:<14} freq {freq["frequency"][i]:.4f}{iou}')
        print(json.dumps(out))
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
