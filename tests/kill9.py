"""Helpers for the tests that kill a dataset-writing tool with SIGKILL and rerun it."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

# runs a tool with every os.replace slowed down, so that a kill lands mid-way
# (and, for atomic writes, while the temporary file exists)
SLOW_TOOL = """
import os, runpy, sys, time
real = os.replace
def slow(*a, **kw):
    time.sleep(0.05)
    return real(*a, **kw)
os.replace = slow
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
"""


def tree(root: str) -> dict:
    """{relative path: bytes} of every file under ``root``, hidden ones included."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            with open(osp.join(d, f), 'rb') as fh:
                out[osp.relpath(osp.join(d, f), root)] = fh.read()
    return out


def kill_when(argv, ready, timeout: float = 300) -> None:
    """Start ``python argv...`` (a tool and its arguments, run from the
    repository root) slowed down, and SIGKILL it as soon as ``ready()``."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.Popen([sys.executable, '-c', SLOW_TOOL] + list(argv), cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.time() + timeout
        while not ready():
            assert proc.poll() is None, 'finished before the kill: ' + \
                proc.stderr.read().decode()[-2000:]
            assert time.time() < end, 'the tool made no progress'
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


def partial_files(root: str) -> list:
    """The temporary files of atomic writes under ``root``."""
    return [osp.join(d, f) for d, _, fs in os.walk(root) for f in fs
            if f.startswith('.') and f.endswith('.tmp')]
