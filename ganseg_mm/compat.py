"""The one place where ganseg_mm adapts the OpenMMLab stack to modern torch.

Every fix here is small, idempotent, applied by :func:`apply` (called when
``ganseg_mm`` is imported) and covered by ``tests/test_compat.py``.

1. **Checkpoints under torch>=2.6** (``weights_only=True`` by default).
   mmengine 0.10.7 calls ``torch.load`` without ``weights_only``, so resuming
   fails on the ``HistoryBuffer`` objects and numpy arrays that mmengine itself
   stores in ``message_hub``. We keep torch's safe loader and allow exactly the
   classes mmengine writes (:data:`SAFE_GLOBALS`).

   Trust assumption: a checkpoint can still only construct tensors, plain
   containers and the allow-listed classes, none of which runs code when
   unpickled, so loading a checkpoint from an untrusted source stays as safe as
   torch's default. We deliberately do *not* switch to ``weights_only=False``.
   A checkpoint holding other objects fails with torch's own message naming the
   class; allow it with ``torch.serialization.add_safe_globals`` only if you
   trust the file.

2. **Multi-process training without CUDA** (``torchrun`` on CPU, gloo).
   mmengine's ``init_dist`` always calls ``torch.cuda.set_device`` and
   ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to DDP; both fail
   on CPU. :func:`apply` makes ``init_dist`` use gloo and skip ``set_device``
   when CUDA is absent, and :func:`adapt_cfg_for_device` (called by
   ``tools/train.py``/``tools/test.py``) sets ``device_ids=None`` and turns
   SyncBN into BN, which torch supports only on accelerators. The gloo group
   is destroyed at exit (:func:`_destroy_process_group`); left to interpreter
   finalization, a finished run sometimes aborts with SIGABRT.

3. **No network at import.** albumentations (imported by mmseg and mmagic)
   queries PyPI for a newer version on every import; offline that costs a
   timeout and a warning in every worker. ``NO_ALBUMENTATIONS_UPDATE=1`` is
   set unless the user set it (this must happen before mmseg is imported,
   which is why it runs when this module is imported).
"""
from __future__ import annotations

import atexit
import copy
import logging
import os
import pickle

import numpy as np
import torch

os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')
_APPLIED = False


def _numpy_safe_globals() -> list:
    """numpy objects that mmengine's MessageHub/HistoryBuffer pickle."""
    if int(np.__version__.split('.')[0]) >= 2:
        from numpy._core import multiarray
    else:
        from numpy.core import multiarray
    items = [multiarray._reconstruct, np.ndarray, np.dtype]
    # numpy>=1.25 pickles dtypes as instances of np.dtypes.*DType classes
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    items += [type(np.dtype(t)) for t in ('f4', 'f8', 'i4', 'i8', 'u1', 'b1')]
    items += [np.float32, np.float64, np.int32, np.int64, np.bool_]
    scalar = getattr(multiarray, 'scalar', None)
    if scalar is not None:
        items.append(scalar)
    return list(dict.fromkeys(items))


_HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_getattr(obj, name: str):
    """``getattr`` as HistoryBuffer's pickles use it, and nothing else.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle
    as ``getattr(HistoryBuffer, 'min')``. Allowing the builtin ``getattr``
    would let a checkpoint walk from any allowed object to ``os.system``, so
    this stand-in (registered under the builtin's pickle name) only returns
    HistoryBuffer's registered statistics methods.
    """
    from mmengine.logging import HistoryBuffer
    allowed = set(_HISTORY_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint calls getattr({obj!r}, {name!r}); only HistoryBuffer '
            'statistics methods are allowed (see ganseg_mm.compat)')
    return getattr(HistoryBuffer, name)


def safe_globals() -> list:
    """Globals allowed by the ``weights_only`` loader (see module docstring)."""
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, (history_buffer_getattr, '__builtin__.getattr'),
            (history_buffer_getattr, 'builtins.getattr')] + _numpy_safe_globals()


def _patch_torch_load() -> None:
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:  # torch>=2.4; older torch loads everything anyway
        add(safe_globals())


def _destroy_process_group() -> None:
    """Destroy the gloo process group while the interpreter is still whole.

    mmengine never destroys it, and on exit gloo's worker threads may still
    hold work objects whose tensors are freed during interpreter finalization:
    the process then aborts ("terminate called without an active exception",
    SIGABRT) after a finished run, at random. torch does not register this
    itself (pytorch/pytorch PR #179291, closed unmerged).
    """
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def _patch_init_dist() -> None:
    from mmengine.dist import utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_ganseg_cpu', False):
        return

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available():
            return original(backend, init_backend=init_backend, **kwargs)
        if backend != 'gloo':
            logging.getLogger('ganseg_mm').warning(
                'CUDA is not available: using the gloo backend instead of %s',
                backend)
        torch.distributed.init_process_group(backend='gloo', **kwargs)
        atexit.register(_destroy_process_group)

    _init_dist_pytorch._ganseg_cpu = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch


def _replace_sync_bn(node):
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
        for v in node.values():
            _replace_sync_bn(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            _replace_sync_bn(v)


def adapt_cfg_for_device(cfg) -> None:
    """Make a distributed config run on CPU-only machines (no-op with CUDA).

    Sets ``model_wrapper_cfg.device_ids=None`` (DDP on CPU) and replaces SyncBN
    by BN in ``cfg.model`` when ``cfg.launcher`` is not ``'none'``.
    """
    if torch.cuda.is_available() or cfg.get('launcher', 'none') == 'none':
        return
    wrapper = copy.deepcopy(cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False)))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    _replace_sync_bn(cfg.model)


def apply() -> None:
    """Apply every fix once (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _patch_torch_load()
    _patch_init_dist()
    _APPLIED = True
