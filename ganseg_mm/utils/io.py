"""Atomic file writes: a killed process never leaves a half-written file.

Everything ganseg_mm writes for users (datasets, manifests, plots) goes through
here: the data is written to a temporary file in the same directory and moved
into place with ``os.replace``, which is atomic on POSIX file systems. A
killed process may leave the temporary file, ``.<name>XXXXXXXX.tmp``;
:func:`ganseg_mm.utils.output_dir.remove_partial_files` clears them.
"""
from __future__ import annotations

import os
import os.path as osp
import tempfile

import cv2
import numpy as np

TMP_SUFFIX = '.tmp'  # temporary files are '.' + the target's name + random + this


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str, data: bytes) -> None:
    d = osp.dirname(osp.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix='.' + osp.basename(path), suffix=TMP_SUFFIX)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide outputs from the group
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_png(path: str, array: np.ndarray) -> None:
    """Encode ``array`` as PNG (BGR order for colour, uint8/uint16) atomically."""
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(array))
    if not ok:
        raise IOError(f'could not encode {path} as PNG')
    atomic_write_bytes(path, buf.tobytes())
