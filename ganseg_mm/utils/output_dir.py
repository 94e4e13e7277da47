"""The folder an offline tool writes a dataset into: parameters, lock, finish once.

Every tool that writes a dataset (``tools/ganaug/extract_classes.py``,
``compose_labels.py``, ``synthesize.py``, ``tools/datasetgan/generate_dataset.py``)
uses :class:`OutputDir` the same way:

1. :meth:`OutputDir.claim` records the parameters in a JSON file on the first
   run. A rerun with other parameters is refused (:class:`DataValidationError`
   naming the folder and the first differing parameter) before anything is
   written, unless the folder holds no work yet (then the record is replaced),
   or only parameters the tool declares ``reselect`` differ (only its final
   step uses them: the tool's ``on_reselect`` reopens a finished folder, then
   the record is updated).
2. The per-item work writes each file atomically (:mod:`ganseg_mm.utils.io`)
   and skips files that exist, so a rerun completes a killed run.
3. :meth:`OutputDir.finish` runs the final step at most once, under an
   exclusive ``flock`` on ``.<manifest>.lock`` (the kernel releases it when the
   holder dies, even by kill -9). The manifest, written atomically and last,
   marks the folder finished; later or concurrent callers find it and only
   repeat the idempotent ``cleanup`` and the removal of the temporary files of
   killed writes (``.*.tmp``). That removal runs only once every item exists,
   when no legitimate writer is left (two processes working on the same shard
   at once are not supported).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import os.path as osp
from contextlib import contextmanager
from typing import Callable, List, Optional, Sequence, Tuple

from .errors import DataValidationError
from .io import TMP_SUFFIX, atomic_write_text

_MISSING = object()


def file_digest(path: str, limit: int = 1 << 26) -> str:
    """sha256 of the first ``limit`` bytes and the size (fast fingerprint)."""
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read(limit))
    return f'{h.hexdigest()[:16]}-{osp.getsize(path)}'


def remove_partial_files(root: str) -> None:
    """Remove the temporary files that killed atomic writes left under ``root``."""
    for d, _, files in os.walk(root):
        for f in files:
            if f.startswith('.') and f.endswith(TMP_SUFFIX):
                try:
                    os.remove(osp.join(d, f))
                except FileNotFoundError:  # a concurrent cleanup was faster
                    pass


def _short(value) -> str:
    text = 'absent' if value is _MISSING else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + '...'


class OutputDir:
    """An output folder of a dataset-writing tool.

    Args:
        root (str): The folder.
        manifest (str): File name of the manifest the final step writes last.
        params (str): File name of the recorded parameters.
    """

    def __init__(self, root: str, manifest: str, params: str):
        self.root = root
        self.manifest_path = osp.join(root, manifest)
        self.params_path = osp.join(root, params)
        self.lock_path = osp.join(root, f'.{manifest}.lock')

    @property
    def finished(self) -> bool:
        return osp.isfile(self.manifest_path)

    def read_manifest(self) -> Optional[dict]:
        if not self.finished:
            return None
        with open(self.manifest_path) as f:
            return json.load(f)

    @contextmanager
    def lock(self):
        """Exclusive lock of this folder's final step (blocks until free).

        The lock file is removed on release; a holder checks that it locked
        the file that is still in place, so mutual exclusion survives the
        removal, and a file left by a killed holder is simply taken over.
        """
        os.makedirs(self.root, exist_ok=True)
        while True:
            fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # removed by the previous holder: lock the new one
        try:
            yield
        finally:
            try:
                os.unlink(self.lock_path)  # still held: nobody else can take it now
            except FileNotFoundError:  # the folder was removed meanwhile
                pass
            os.close(fd)

    def claim(self, params: dict, reselect: Sequence[str] = (),
              on_reselect: Optional[Callable[[dict], None]] = None,
              has_work: Optional[Callable[[], bool]] = None,
              recorded: Optional[dict] = None) -> List[str]:
        """Record ``params`` (first run) or check them against the recorded ones.

        Args:
            params (dict): JSON-able parameters that determine the output.
            reselect (Sequence[str]): Parameters only the final step uses; a
                change updates the record instead of being refused.
            on_reselect (Callable, optional): Called under the lock with the
                old parameters when only ``reselect`` parameters changed,
                before the record is updated. In a finished folder it must
                undo the final step, removing the manifest last.
            has_work (Callable, optional): Whether the folder holds per-item
                outputs; when it does not, other parameters replace the record.
            recorded (dict, optional): Parameters an earlier version kept in
                the manifest, used (only its keys compared) when the record
                file is absent.

        Returns:
            list[str]: The ``reselect`` parameters that changed.

        Raises:
            DataValidationError: Another parameter differs.
        """
        new = json.loads(json.dumps(params))
        with self.lock():
            legacy = not osp.isfile(self.params_path)
            if legacy:
                old, keys = recorded, list(recorded or ())
            else:
                with open(self.params_path) as f:
                    old = json.load(f)
                keys = list(new) + [k for k in old if k not in new]
            if old is None:
                atomic_write_text(self.params_path, json.dumps(new, indent=1))
                return []
            diff = [k for k in keys if old.get(k, _MISSING) != new.get(k, _MISSING)]
            fixed = [k for k in diff if k not in reselect]
            if fixed and (has_work is None or has_work()):
                k = fixed[0]
                raise DataValidationError(
                    f'{self.root}: made with other parameters ({k}: '
                    f'{_short(old.get(k, _MISSING))} there, {_short(new.get(k, _MISSING))} '
                    f'in this run; see {osp.basename(self.params_path)}); use another '
                    'output directory or the same parameters')
            if diff and not fixed and on_reselect is not None:
                on_reselect(old)
            if diff or legacy:
                atomic_write_text(self.params_path, json.dumps(new, indent=1))
            return [k for k in diff if k in reselect]

    def finish(self, build: Callable[[], Optional[dict]],
               cleanup: Optional[Callable[[], None]] = None,
               indent: Optional[int] = 1) -> Tuple[Optional[dict], bool]:
        """Run the final step once: ``build()`` returns the manifest (None:
        items still missing), which is written atomically as the last step.

        Returns:
            tuple: (the manifest or None, whether this call wrote it).
        """
        with self.lock():
            made = not self.finished
            if made:
                manifest = build()
                if manifest is None:
                    return None, False
                atomic_write_text(self.manifest_path, json.dumps(manifest, indent=indent))
            if cleanup is not None:
                cleanup()
            remove_partial_files(self.root)
            return self.read_manifest(), made
