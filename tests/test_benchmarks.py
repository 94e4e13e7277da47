"""Every benchmark keeps running (speed targets live in benchmarks/, not here)."""
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BENCHMARKS = sorted(osp.basename(p)[len('bench_'):-len('.py')]
                    for p in glob.glob(osp.join(REPO, 'benchmarks', 'bench_*.py')))


def test_benchmarks_are_found():
    assert {'cegu', 'data_checks', 'datasetgan', 'demo_lanes', 'ganaug', 'uda'} <= set(BENCHMARKS)


@pytest.mark.slow
@pytest.mark.parametrize('name', BENCHMARKS)
def test_benchmark_runs_and_prints_ratios(name):
    p = subprocess.run([sys.executable, 'benchmarks/run.py', '--quick', '--only', name],
                       cwd=REPO, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    assert f'== bench_{name} ' in p.stdout, p.stdout
    assert re.search(r'ratio=\d+\.\d+x', p.stdout), p.stdout
