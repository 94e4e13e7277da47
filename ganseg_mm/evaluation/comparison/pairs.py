"""Per-pair bookkeeping of the multi-seed comparison (``tools/compare.py``).

Every (config, seed) pair is trained and evaluated once, in its own directory
``WORK_DIR/<name>/seed<S>/``: the pair plan, result files checked against a
fingerprint, lock files, shards, and the training-pixel count per class
(cached under a hash of the label files).
"""
from __future__ import annotations

import json
import os
import os.path as osp
import socket
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.io import atomic_write_text

RESULT, LOCK = 'result.json', '.lock'
Pair = Tuple[str, str, int]  # (name, config path, seed)


class RunFailed(Exception):
    """Raised by a pair runner when training or testing exits non-zero.

    Args:
        returncode (int): Exit status of the failed command.
        log (str): Path of that command's log file.
    """

    def __init__(self, returncode: int, log: str):
        super().__init__(f'exit {returncode}; log: {log}')
        self.returncode, self.log = returncode, log


class PairFailed(DataValidationError):
    """One pair failed. A DataValidationError so that ``run_tool`` prints it as
    one ``error:`` line with exit status 2 instead of a traceback."""


# ---------------------------------------------------------- class frequencies
def count_class_pixels(dataset_cfg: dict, cache_dir: Optional[str] = None) -> Tuple[list, list]:
    """Class names and training-pixel counts of an mmseg dataset config.

    Args:
        dataset_cfg (dict): ``train_dataloader.dataset`` of a resolved config.
        cache_dir (str, optional): Where the per-image counts are cached
            (:func:`~ganseg_mm.datasets.class_stats.image_class_pixels`).
    """
    from ganseg_mm.datasets.class_stats import image_class_pixels
    from ganseg_mm.datasets.label_files import dataset_from_cfg
    ds = dataset_from_cfg(dataset_cfg)  # file lists only, no pipelines
    ds.full_init() if hasattr(ds, 'full_init') else None
    if len(ds) == 0:
        raise DataValidationError('the baseline\'s train dataset is empty: no class frequencies')
    return list(ds.metainfo['classes']), image_class_pixels(ds, cache_dir).sum(0).tolist()


# ---------------------------------------------------------------- bookkeeping
def plan_pairs(names: Sequence[str], configs: Sequence[str], seeds: Sequence[int]) -> List[Pair]:
    """All pairs, seed-major: after the first seed a complete comparison exists.

    Args:
        names (Sequence[str]): Config names (baseline first).
        configs (Sequence[str]): Config paths, as ``names``.
        seeds (Sequence[int]): Seeds.
    """
    return [(n, c, s) for s in seeds for n, c in zip(names, configs)]


def pair_dir(work_dir: str, name: str, seed: int) -> str:
    """``WORK_DIR/<name>/seed<S>``.

    Args:
        work_dir (str): The comparison's directory.
        name (str): Config name.
        seed (int): Seed.
    """
    return osp.join(work_dir, name, f'seed{seed}')


def load_result(d: str, fingerprint: dict) -> Optional[dict]:
    """A pair's result, or None; one made with other configs/options is an error.

    Args:
        d (str): The pair directory.
        fingerprint (dict): What the result's ``fingerprint`` must equal.
    """
    p = osp.join(d, RESULT)
    if not osp.isfile(p):
        return None
    with open(p) as f:
        res = json.load(f)
    if res.get('fingerprint') != fingerprint:
        raise DataValidationError(f'{p} was made with another config file content or '
                                  '--cfg-options; use a new --work-dir (or delete that pair '
                                  'directory)')
    return res


def try_lock(d: str) -> Optional[dict]:
    """Claim a pair: create ``d/.lock`` with O_CREAT|O_EXCL (atomic, also across
    processes and, on POSIX file systems such as NFSv3+, machines).

    Args:
        d (str): The pair directory (created if missing).

    Returns:
        dict | None: None when claimed, else the holder (pid, host, since,
        ``stale``: True when it is a dead process on this host).
    """
    os.makedirs(d, exist_ok=True)
    path = osp.join(d, LOCK)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            with open(path) as f:
                holder = json.load(f)
        except (OSError, ValueError):  # being written, or removed meanwhile
            holder = {}
        holder['stale'] = holder.get('host') == socket.gethostname() and \
            not _alive(holder.get('pid'))
        return holder
    with os.fdopen(fd, 'w') as f:
        json.dump(dict(pid=os.getpid(), host=socket.gethostname(),
                       since=time.strftime('%Y-%m-%d %H:%M:%S')), f)
    return None


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # unknown: never call a lock stale on a guess
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def run_pairs(pairs: Sequence[Pair], work_dir: str, run_pair: Callable[..., dict],
              fingerprints: Dict[str, dict], shard: Tuple[int, int] = (0, 1),
              log: Callable[[str], None] = print) -> dict:
    """Run this process's pairs without a result (every n-th of ``pairs``
    from i), each under its lock, with one progress line per start/finish.

    Args:
        pairs: From :func:`plan_pairs`.
        work_dir (str): The comparison's directory.
        run_pair: ``run_pair(name, config, seed, pair_dir) -> dict`` with
            ``metrics`` per kind; raises :class:`RunFailed` on failure, which
            becomes :class:`PairFailed` (finished pairs stay: a rerun resumes).
        fingerprints (dict): Name -> what a finished pair must match.
        shard (tuple): ``(i, n)``.
        log: Where progress lines go.

    Returns:
        dict: ``ran`` (count), ``locked`` and ``stale`` (lock files held by
        others; stale = a dead process on this host).
    """
    i, n = shard
    out = dict(ran=0, locked=[], stale=[])

    def left():
        return sum(not osp.isfile(osp.join(pair_dir(work_dir, a, s), RESULT)) for a, _, s in pairs)
    for name, config, seed in list(pairs)[i::n]:
        d = pair_dir(work_dir, name, seed)
        if load_result(d, fingerprints[name]) is not None:
            continue
        holder = try_lock(d)
        if holder is not None:
            out['stale' if holder['stale'] else 'locked'].append(osp.join(d, LOCK))
            log(f'[compare] skip {name} seed {seed}: claimed by pid {holder.get("pid", "?")} on '
                f'{holder.get("host", "?")} since {holder.get("since", "?")}'
                + (' (not running: stale lock)' if holder['stale'] else ''))
            continue
        try:
            if load_result(d, fingerprints[name]) is not None:  # finished meanwhile
                continue
            t0 = time.time()
            log(f'[compare] start {name} seed {seed} ({left()} pairs left)')
            try:
                res = run_pair(name, config, seed, d)
            except RunFailed as e:
                raise PairFailed(f'{name} seed {seed} failed (exit {e.returncode}); '
                                 f'log: {e.log}') from None
            res.update(name=name, config=config, seed=seed, fingerprint=fingerprints[name],
                       seconds=round(time.time() - t0, 1))
            atomic_write_text(osp.join(d, RESULT), json.dumps(res, indent=1))
            out['ran'] += 1
            log(f'[compare] done {name} seed {seed} in {time.time() - t0:.1f}s '
                f'({left()} pairs left)')
        finally:
            os.unlink(osp.join(d, LOCK))
    return out


def collect(pairs: Sequence[Pair], work_dir: str,
            fingerprints: Dict[str, dict]) -> Optional[Dict[str, Dict[int, dict]]]:
    """Name -> seed -> result when every pair has one, else None.

    Args:
        pairs, work_dir, fingerprints: As in :func:`run_pairs`.
    """
    out: Dict[str, Dict[int, dict]] = {}
    for name, _, seed in pairs:
        res = load_result(pair_dir(work_dir, name, seed), fingerprints[name])
        if res is None:
            return None
        out.setdefault(name, {})[seed] = res
    return out
