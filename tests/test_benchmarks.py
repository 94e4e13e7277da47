"""Benchmarks keep running (speed targets live in benchmarks/, not here)."""
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.slow
def test_benchmarks_run_and_print_ratios():
    p = subprocess.run([sys.executable, 'benchmarks/run.py', '--quick'], cwd=REPO,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert re.search(r'ratio=\d+\.\d+x', p.stdout), p.stdout
