"""Build class repositories from a dataset's label maps (GAN augmentation: "class extraction").

    python tools/ganaug/extract_classes.py CONFIG --split train --out REPO_DIR

Every region of every class (an instance where the pixels have their own
instanceId >= 1000, else an 8-connected component) is stored with mask, bbox,
area, source and vertical position, plus per-class statistics in
REPO_DIR/index.json. Deterministic and resumable
(rerun completes a killed run); bad label maps exit 2 with one ``error:`` line.
"""
import argparse
import json
import sys

from ganseg_mm.utils.cli import add_dataset_split_args, positive_int, run_tool


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_dataset_split_args(p)
    p.add_argument('--out', required=True, help='repository directory')
    p.add_argument('--min-area', type=positive_int, default=16,
                   help='smallest region kept (pixels)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from ganseg_mm.ganaug.class_repository import build_repository
    from ganseg_mm.datasets.label_files import dataset_files

    def run():
        files, names, ignore = dataset_files(args.config, args.split, args.cfg_options)
        index = build_repository(files, args.out, names, ignore, args.min_area)
        rows = [f'{c:>3} {s["name"]:<14} regions {s["regions"]:>6}  freq {s["frequency"]:.4f}'
                for c, s in ((int(k), v) for k, v in index['stats'].items())]
        print('\n'.join(rows))
        print(json.dumps(dict(out=args.out, sources=len(files))))
    return run_tool(run)


if __name__ == '__main__':
    sys.exit(main())
