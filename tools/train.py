"""Train a segmentor (mmseg's tools/train.py, plus ganseg_mm's data checks).

Flags are mmseg's: ``--work-dir``, ``--resume``, ``--amp``, ``--cfg-options``,
``--launcher``. Multi-GPU: ``bash tools/dist_train.sh CONFIG GPUS``; on a
machine without CUDA the same command trains with gloo on CPU processes.
Bad data (missing root, empty split, bad label ids, size mismatch) ends the run
with one line naming the file and exit status 2.
"""
import argparse
import logging
import os
import sys

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ganseg_mm import compat
from ganseg_mm.utils.cli import add_runner_args, load_tool_cfg, run_checked


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', action='store_true', default=False,
        help='resume from the latest checkpoint in the work_dir automatically')
    parser.add_argument(
        '--amp', action='store_true', default=False,
        help='enable automatic-mixed-precision training')
    add_runner_args(parser)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args) -> Config:
    cfg = load_tool_cfg(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    compat.adapt_cfg_for_device(cfg)
    return cfg


def train(cfg: Config) -> None:
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()


def main(argv=None) -> int:
    return run_checked(build_cfg(parse_args(argv)), train)


if __name__ == '__main__':
    sys.exit(main())
