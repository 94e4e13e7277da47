"""What tools/train.py and tools/test.py share: config loading, bad-data exits."""
from __future__ import annotations

import os.path as osp
import sys
from typing import Callable

from mmengine.config import Config


def load_tool_cfg(config: str, launcher: str, cfg_options: dict | None,
                  work_dir: str | None) -> Config:
    """mmseg's tool preamble: read ``config``, apply ``--cfg-options``,
    ``--launcher`` and ``--work-dir`` (default ``./work_dirs/<config name>``)."""
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def run_checked(cfg: Config, run: Callable[[Config], object]) -> int:
    """Check the data paths of ``cfg``, then ``run(cfg)``; bad data -> one line, exit 2."""
    from ganseg_mm.datasets import DataValidationError, check_data_cfgs, data_error_message
    try:
        check_data_cfgs(cfg)
        run(cfg)
    except DataValidationError as e:
        print(f'error: {data_error_message(e)}', file=sys.stderr)
        return 2
    return 0


def run_tool(fn: Callable, *args) -> int:
    """Run a tool's body; bad data -> one ``error:`` line on stderr, exit status 2."""
    from ganseg_mm.datasets import DataValidationError
    try:
        fn(*args)
    except DataValidationError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0
