"""Generate the embedded demo dataset (procedural scenes, Cityscapes layout).

Usage: python tools/make_demo_data.py [ROOT] [--num-train N] [--num-val N]
Deterministic and resumable; refuses a ROOT generated with other parameters.
"""
import argparse
import inspect
import sys

from ganseg_mm.demo import generate_demo_cityscapes


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('root', nargs='?', default='data/demo_cityscapes')
    defaults = inspect.signature(generate_demo_cityscapes).parameters  # said once, there
    for arg in ('num_train', 'num_val', 'height', 'width', 'seed'):
        p.add_argument('--' + arg.replace('_', '-'), type=int, default=defaults[arg].default)
    a = p.parse_args(argv)
    try:
        m = generate_demo_cityscapes(a.root, a.num_train, a.num_val, a.height, a.width,
                                     a.seed, progress=True)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'demo data in {a.root}: {m["params"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
