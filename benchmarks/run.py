"""Run every ``benchmarks/bench_*.py`` and print its side-by-side ratios.

Each module defines ``run(args) -> list[dict]``; every row names what was
measured, both figures and their ratio, all from the same run.
Usage: python benchmarks/run.py [--only NAME] [--quick]
"""
import argparse
import glob
import importlib.util
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.dirname(HERE))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--only', help='run only benchmarks whose file name contains this')
    p.add_argument('--quick', action='store_true', help='fewer repetitions (smoke run)')
    a = p.parse_args(argv)
    files = sorted(glob.glob(osp.join(HERE, 'bench_*.py')))
    if a.only:
        files = [f for f in files if a.only in osp.basename(f)]
    if not files:
        print('no benchmarks selected')
        return 1
    for f in files:
        name = osp.splitext(osp.basename(f))[0]
        spec = importlib.util.spec_from_file_location(name, f)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        t = time.time()
        rows = mod.run(a)
        note = ', --quick: smoke run, not figures' if a.quick else ''
        print(f'\n== {name} ({time.time() - t:.1f}s{note}) ==')
        for r in rows:
            print(f"{r['what']:<48} {r['a_label']}={r['a']:.4g}  {r['b_label']}={r['b']:.4g}"
                  f"  ratio={r['ratio']:.3f}x  (target {r.get('target', '-')})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
