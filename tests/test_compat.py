"""Each fix in ganseg_mm.compat, tested on the pinned stack."""
import io
import os
import socket

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub

import ganseg_mm  # noqa: F401  (applies compat)
from ganseg_mm import compat


def test_mmengine_message_hub_state_loads_with_weights_only():
    hub = MessageHub.get_instance('compat_test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 0.01)
    hub.update_info('iter', 3)
    buf = io.BytesIO()
    torch.save({'message_hub': hub.state_dict(), 'meta': {'seed': np.int64(1)},
                'arr': np.arange(3, dtype=np.float32)}, buf)
    buf.seek(0)
    state = torch.load(buf)  # torch's default: weights_only=True
    assert isinstance(state['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert state['message_hub']['log_scalars']['train/loss'].current() == 0.5
    assert state['arr'].dtype == np.float32


class _Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_arbitrary_objects_are_still_refused():
    buf = io.BytesIO()
    torch.save({'x': _Evil()}, buf)
    buf.seek(0)
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(buf)


def test_apply_is_idempotent():
    from mmengine.dist import utils as dist_utils
    fn = dist_utils._init_dist_pytorch
    compat.apply()
    compat._APPLIED = False
    compat.apply()
    assert dist_utils._init_dist_pytorch is fn


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU-only path')
def test_init_dist_pytorch_on_cpu_uses_gloo(monkeypatch):
    from mmengine.dist import init_dist
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for k, v in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                     MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port)).items():
        monkeypatch.setenv(k, v)
    init_dist('pytorch', backend='nccl')
    try:
        assert torch.distributed.get_backend() == 'gloo'
    finally:
        torch.distributed.destroy_process_group()


_EXITING_RANK = """
import atexit, torch
# registered before init_dist, so it runs after ganseg_mm's own exit handler
atexit.register(lambda: print('group alive at exit:', torch.distributed.is_initialized()))
import ganseg_mm
from mmengine.dist import init_dist
init_dist('pytorch', backend='gloo')
torch.distributed.all_reduce(torch.ones(1))
"""


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU-only path')
def test_gloo_group_is_destroyed_before_interpreter_finalization(tmp_path):
    """Left to finalization, gloo's threads sometimes abort a finished run
    (SIGABRT); the group must be gone by the time atexit handlers end."""
    import subprocess
    import sys
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
               MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    p = subprocess.run([sys.executable, '-c', _EXITING_RANK], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert 'group alive at exit: False' in p.stdout, p.stdout + p.stderr[-2000:]


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU-only path')
def test_adapt_cfg_for_device_cpu():
    cfg = Config(dict(launcher='pytorch', model=dict(
        backbone=dict(norm_cfg=dict(type='SyncBN')),
        heads=[dict(norm_cfg=dict(type='SyncBN', requires_grad=True))])))
    compat.adapt_cfg_for_device(cfg)
    assert cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.heads[0].norm_cfg == dict(type='BN', requires_grad=True)
    assert cfg.model_wrapper_cfg.device_ids is None
    assert cfg.model_wrapper_cfg.type == 'MMDistributedDataParallel'
    single = Config(dict(launcher='none', model=dict(norm_cfg=dict(type='SyncBN'))))
    compat.adapt_cfg_for_device(single)  # mmengine reverts SyncBN itself here
    assert single.model.norm_cfg.type == 'SyncBN' and 'model_wrapper_cfg' not in single


def test_only_history_buffer_statistics_are_reachable_through_getattr():
    import pickle

    class _Getattr:
        def __init__(self, obj, name):
            self.obj, self.name = obj, name

        def __reduce__(self):
            return (getattr, (self.obj, self.name))

    ok = io.BytesIO()
    torch.save({'m': _Getattr(HistoryBuffer, 'mean')}, ok)
    ok.seek(0)
    assert torch.load(ok)['m'] is HistoryBuffer.mean
    bad = io.BytesIO()
    torch.save({'m': _Getattr(HistoryBuffer, '__init__')}, bad)
    bad.seek(0)
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer statistics'):
        torch.load(bad)


def test_importing_the_stack_makes_no_update_check():
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != 'NO_ALBUMENTATIONS_UPDATE'}
    p = subprocess.run([sys.executable, '-W', 'error::UserWarning', '-c',
                        'import ganseg_mm, mmseg.datasets, albumentations'],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
