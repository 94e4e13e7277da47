"""OutputDir: recorded parameters, refuse or reselect, final step exactly once."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import threading
import time

import pytest

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.output_dir import OutputDir


def _files(root):
    return sorted(osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_claim_records_refuses_and_reselects(tmp_path):
    od = OutputDir(str(tmp_path / 'out'), 'manifest.json', 'params.json')
    assert od.claim(dict(num=3, drop=0.1)) == []
    assert _files(od.root) == ['params.json']  # the lock file is gone after use
    assert od.claim(dict(num=3, drop=0.1)) == []
    with pytest.raises(DataValidationError, match=r'out: made with other parameters \(num: 3 '
                                                  r'there, 4 in this run; see params.json\)'):
        od.claim(dict(num=4, drop=0.1), has_work=lambda: True)
    with pytest.raises(DataValidationError, match=r'\(seed: absent there, 1 in this run'):
        od.claim(dict(num=3, drop=0.1, seed=1))
    assert json.loads((tmp_path / 'out' / 'params.json').read_text()) == dict(num=3, drop=0.1)
    assert od.claim(dict(num=4, drop=0.1), has_work=lambda: False) == []  # nothing made yet
    (tmp_path / 'out' / 'manifest.json').write_text('{}')
    reopened = []

    def reopen(old):
        reopened.append((old, od.finished))
        os.remove(od.manifest_path)

    assert od.claim(dict(num=4, drop=0.2), reselect=('drop',), on_reselect=reopen) == ['drop']
    assert reopened == [(dict(num=4, drop=0.1), True)]
    assert json.loads((tmp_path / 'out' / 'params.json').read_text()) == dict(num=4, drop=0.2)
    assert od.claim(dict(num=4, drop=0.2), reselect=('drop',), on_reselect=reopen) == []
    with pytest.raises(DataValidationError, match=r'\(num: 4 there, 5 in this run'):
        od.claim(dict(num=5, drop=0.1), reselect=('drop',), on_reselect=reopen)
    assert len(reopened) == 1


def test_claim_compares_with_parameters_an_older_version_recorded(tmp_path):
    od = OutputDir(str(tmp_path), 'manifest.json', 'params.json')
    with pytest.raises(DataValidationError, match=r'\(seed: 0 there, 1 in this run'):
        od.claim(dict(seed=1, new_key=2), recorded=dict(seed=0))
    assert od.claim(dict(seed=0, new_key=2), recorded=dict(seed=0)) == []
    assert json.loads((tmp_path / 'params.json').read_text()) == dict(seed=0, new_key=2)


def test_finish_once_under_concurrent_callers(tmp_path):
    """Four "shards" reach the final step together: one builds, all get its manifest."""
    od = OutputDir(str(tmp_path), 'manifest.json', 'params.json')
    (tmp_path / '.x.png1234.tmp').write_text('left by a killed write')
    built, cleaned, results = [], [], []
    start = threading.Barrier(4)

    def build():
        built.append(1)
        time.sleep(0.3)  # long enough for the others to arrive without a lock
        return dict(n=len(built))

    def shard():
        start.wait()
        results.append(od.finish(build, cleanup=lambda: cleaned.append(1)))

    threads = [threading.Thread(target=shard) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1
    assert sorted(made for _, made in results) == [False, False, False, True]
    assert all(man == dict(n=1) for man, _ in results)
    assert len(cleaned) == 4  # cleanup is repeated: it must be idempotent
    assert _files(str(tmp_path)) == ['manifest.json']  # no lock, no partial file


def test_finish_waits_for_missing_items(tmp_path):
    od = OutputDir(str(tmp_path), 'manifest.json', 'params.json')
    (tmp_path / '.x.png1234.tmp').write_text('maybe a live write of another shard')
    assert od.finish(lambda: None) == (None, False)
    assert _files(str(tmp_path)) == ['.x.png1234.tmp']


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print('locked', flush=True)
time.sleep(60)
"""


def test_lock_of_a_killed_holder_is_taken_over(tmp_path):
    od = OutputDir(str(tmp_path), 'manifest.json', 'params.json')
    holder = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, od.lock_path],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        result = []
        waiter = threading.Thread(target=lambda: result.append(od.finish(lambda: dict(a=1))))
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive() and not result  # blocked by the holder
        holder.send_signal(signal.SIGKILL)  # dies inside the final step
        waiter.join(10)
        assert result == [(dict(a=1), True)]
    finally:
        holder.kill()
        holder.wait()
    assert _files(str(tmp_path)) == ['manifest.json']  # its lock file was removed too
