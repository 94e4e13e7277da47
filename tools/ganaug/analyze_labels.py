"""Class pixel frequencies of a dataset and, with an evaluation, frequency vs IoU.

    python tools/ganaug/analyze_labels.py CONFIG [--split train] --out DIR \
        [--metrics work_dirs/.../metrics.json] [--rare 0.01]

Works on any dataset config (real, the synthetic set, or a GANAugmentedDataset
mix, counted with its repeats). Writes DIR/class_frequencies.json and, given
the metrics JSON of ``tools/test.py --metrics-out``, DIR/freq_vs_iou.png (seed
000's Fig. 2; classes rarer than ``--rare`` in red) and the Spearman correlation.
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
    p.add_argument('--metrics', help='metrics JSON of tools/test.py --metrics-out')
    p.add_argument('--rare', type=float, default=0.01,
                   help='pixel frequency below which a class is marked rare')
    p.add_argument('--gan-config', help='pix2pixHD config: also render the split\'s label '
                   'maps and report the per-class mean-colour error against the real images')
    p.add_argument('--gan-checkpoint', help='checkpoint for --gan-config')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from ganseg_mm.ganaug.analysis import class_frequencies, iou_table, rank_correlation
    from ganseg_mm.datasets.label_files import dataset_files
    from ganseg_mm.utils.io import atomic_write_text
    from ganseg_mm.utils.plots import scatter_png

    def run():
        files, names, ignore = dataset_files(args.config, args.split, args.cfg_options)
        freq = class_frequencies([s for _, s in files], len(names), ignore)
        freq.update(classes=names, config=args.config, split=args.split)
        out = dict(frequencies=osp.join(args.out, 'class_frequencies.json'))
        if args.metrics:
            if not osp.isfile(args.metrics):
                from ganseg_mm.utils.errors import DataValidationError
                raise DataValidationError(f'{args.metrics}: metrics file not found')
            with open(args.metrics) as f:
                ious = iou_table(json.load(f), names)
            freq['iou'] = ious
            freq['spearman_freq_iou'] = rank_correlation(freq['frequency'], ious)
            keep = [i for i, v in enumerate(ious) if v == v and freq['frequency'][i] > 0]
            out['plot'] = osp.join(args.out, 'freq_vs_iou.png')
            scatter_png(out['plot'], [freq['frequency'][i] for i in keep],
                        [ious[i] for i in keep], [names[i] for i in keep],
                        'class pixel frequency (log)', 'IoU (%)',
                        f'{osp.basename(args.config)} {args.split}: frequency vs IoU '
                        f'(Spearman {freq["spearman_freq_iou"]:.2f})',
                        highlight=[freq['frequency'][i] < args.rare for i in keep])
            out['spearman_freq_iou'] = round(freq['spearman_freq_iou'], 3)
        if args.gan_config:
            from ganseg_mm.ganaug.analysis import gan_colour_error
            from ganseg_mm.ganaug.renderer import load_pix2pixhd
            gen, info = load_pix2pixhd(args.gan_config, args.gan_checkpoint)
            err = gan_colour_error(gen, info, files)
            out['gan_colour_error'] = osp.join(args.out, 'gan_colour_error.json')
            atomic_write_text(out['gan_colour_error'], json.dumps(err, indent=1))
            out['gan_colour_error_mean'] = round(err['mean'], 2)
        atomic_write_text(out['frequencies'], json.dumps(freq, indent=1))
        for i, n in enumerate(names):
            iou = f'  IoU {freq["iou"][i]:6.2f}' if 'iou' in freq else ''
            print(f'{i:>3} {n:<14} freq {freq["frequency"][i]:.4f}{iou}')
        print(json.dumps(out))
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
