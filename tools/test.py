"""Test (evaluate) a checkpoint (mmseg's tools/test.py, plus ``--metrics-out``).

``--metrics-out FILE`` writes the metrics (with ganseg_mm's PerClassIoUMetric:
mIoU, aAcc, mAcc and one ``IoU.<class>`` per class) as JSON, atomically.
Bad data and a missing, corrupt or foreign checkpoint (one without the model's
weights) end with one ``error:`` line naming the file and exit status 2.
"""
import argparse
import json
import math
import os
import sys

from mmengine.config import Config
from mmengine.runner import Runner

from ganseg_mm import compat
from ganseg_mm.utils.cli import add_runner_args, load_tool_cfg, run_checked, run_tool
from ganseg_mm.utils.gan import check_state_dict, read_checkpoint
from ganseg_mm.utils.io import atomic_write_text


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save evaluation logs')
    parser.add_argument('--out', help='directory to save the predicted label maps')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='directory to save painted predictions')
    parser.add_argument('--wait-time', type=float, default=2, help='interval of show (s)')
    parser.add_argument('--metrics-out', help='write the metrics dict as JSON here')
    add_runner_args(parser)
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError('VisualizationHook must be in default_hooks to use --show '
                           'or --show-dir')
    hook = default_hooks['visualization']
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        visualizer = cfg.visualizer
        visualizer['save_dir'] = args.show_dir
    return cfg


def build_cfg(args) -> Config:
    cfg = load_tool_cfg(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    compat.adapt_cfg_for_device(cfg)
    return cfg


def model_state_shapes(runner) -> dict:
    """Name -> shape of the state dict mmengine loads the checkpoint into: the
    runner's model without its DDP or test-time-augmentation wrapper."""
    from mmengine.model import BaseTTAModel, is_model_wrapper
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if isinstance(model, BaseTTAModel):
        model = model.module
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def main(argv=None) -> int:
    args = parse_args(argv)
    ckpt_shapes = {}

    def preflight():
        """Before the data checks and the Runner: a missing, corrupt or foreign
        checkpoint is one error line (mmengine's loader would raise a traceback,
        or load a foreign file with warnings only)."""
        ckpt_shapes.update((k, tuple(v.shape)) for k, v in
                           read_checkpoint(args.checkpoint).items() if hasattr(v, 'shape'))

    def test(cfg):
        runner = Runner.from_cfg(cfg)
        # extra keys stay mmengine's warning: a UDA checkpoint carries its EMA
        # teacher and is tested with the baseline config (docs/uda.md)
        check_state_dict(ckpt_shapes, model_state_shapes(runner), args.checkpoint,
                         f'the model of {args.config}', allow_unexpected=True)
        metrics = runner.test()
        if args.metrics_out and runner.rank == 0:
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                     for k, v in metrics.items()}
            atomic_write_text(args.metrics_out, json.dumps(clean, indent=1))

    return run_tool(preflight) or run_checked(build_cfg(args), test)


if __name__ == '__main__':
    sys.exit(main())
