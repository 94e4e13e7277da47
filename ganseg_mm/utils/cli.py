"""What the tools share: config loading, one exit for bad input data and bad
configs, argparse types for shard and numeric arguments (a bad value is a
usage error, exit 2)."""
from __future__ import annotations

import argparse
import math
import os
import os.path as osp
import sys
from typing import Callable, Optional, Tuple

from .errors import ConfigError, DataValidationError, error_message


def load_tool_cfg(config: str, launcher: str, cfg_options: dict | None,
                  work_dir: str | None):
    """mmseg's tool preamble: read ``config``, apply ``--cfg-options``,
    ``--launcher`` and ``--work-dir`` (default ``./work_dirs/<config name>``)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """mmseg's tool flags that train.py and test.py share: ``--cfg-options``,
    ``--launcher`` and the ``--local-rank`` torch.distributed.launch passes."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file.')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_dataset_split_args(parser: argparse.ArgumentParser) -> None:
    """The arguments of tools that read one split of a config's dataset:
    ``config``, ``--split`` and ``--cfg-options`` (e.g. another ``data_root``)."""
    from mmengine.config import DictAction
    parser.add_argument('config', help='mmseg config whose <split>_dataloader.dataset is read')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)


def run_tool(fn: Callable, *args) -> int:
    """Run a tool's body ``fn(*args)``; bad input data (a
    :class:`DataValidationError`, also one re-raised from a dataloader worker)
    or a config that cannot work (a :class:`ConfigError`) -> one ``error:``
    line on stderr and exit status 2."""
    try:
        fn(*args)
    except (DataValidationError, ConfigError) as e:
        print(f'error: {error_message(e)}', file=sys.stderr)
        return 2
    return 0


def run_checked(cfg, run: Callable) -> int:
    """Check the data paths of ``cfg`` before ``run(cfg)``, as :func:`run_tool`."""
    from ganseg_mm.datasets.checks import check_data_cfgs

    def body():
        check_data_cfgs(cfg)
        run(cfg)

    return run_tool(body)


def shard_arg(text: str) -> Tuple[int, int]:
    """argparse ``type`` for ``--shard i/n`` (0 <= i < n): a bad value is a
    usage error (exit 2), not a traceback."""
    try:
        i, n = (int(t) for t in text.split('/'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'must be i/n, got {text!r}') from None
    if not (n >= 1 and 0 <= i < n):
        raise argparse.ArgumentTypeError(f'must be i/n with 0 <= i < n, got {text!r}')
    return i, n


def _number(text: str, kind: type, ok: Callable, expects: str):
    """``kind(text)`` if ``ok`` of it, else an argparse usage error naming ``expects``."""
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or (kind is float and not math.isfinite(value)) or not ok(value):
        raise argparse.ArgumentTypeError(f'must be {expects}, got {text!r}')
    return value


def positive_int(text: str) -> int:
    """argparse ``type`` for counts and sizes: an integer >= 1."""
    return _number(text, int, lambda v: v >= 1, 'an integer >= 1')


def nonnegative_int(text: str) -> int:
    """argparse ``type`` for ids, seeds of numpy generators, minimum counts: an integer >= 0."""
    return _number(text, int, lambda v: v >= 0, 'an integer >= 0')


def positive_float(text: str) -> float:
    """argparse ``type`` for scales and factors: a finite number > 0."""
    return _number(text, float, lambda v: v > 0, 'a number > 0')


def positive_fraction(text: str) -> float:
    """argparse ``type`` for a share that cannot be empty (top fraction,
    truncation psi): a number in (0, 1]."""
    return _number(text, float, lambda v: 0 < v <= 1, 'a number in (0, 1]')


def fraction_below_one(text: str) -> float:
    """argparse ``type`` for a share that may be empty but not all (e.g. the
    fraction of images dropped): a number in [0, 1)."""
    return _number(text, float, lambda v: 0 <= v < 1, 'a number in [0, 1)')


def resolve_shard(shard: Optional[Tuple[int, int]]) -> Tuple[int, int]:
    """A ``--shard`` value, else torchrun's ``RANK``/``WORLD_SIZE``, else (0, 1)."""
    if shard is not None:
        return shard
    return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
