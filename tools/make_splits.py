"""Write labeled/unlabeled split files for semi-supervised training.

Usage: python tools/make_splits.py CONFIG [--fractions 1/16 1/8 1/4 1/2]
           [--seed 0] [--out-dir DIR]
Reads ``train_dataloader.dataset`` of CONFIG (any mmseg dataset), and writes
``<num>-<den>_seed<seed>_{labeled,unlabeled}.txt`` (default DIR:
``<data_root>/splits``), usable as the datasets' ``ann_file``. Deterministic,
nested (1/16 inside 1/8 ...), written atomically.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import ganseg_mm  # noqa: F401
from ganseg_mm.datasets import check_dataset_cfg
from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.datasets.splits import dataset_sample_names, make_splits, write_splits


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--fractions', nargs='+', default=['1/16', '1/8', '1/4', '1/2'])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out-dir', help='default: <data_root>/splits')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, e.g. train_dataloader.dataset.data_root=X')
    a = p.parse_args(argv)
    cfg = Config.fromfile(a.config)
    if a.cfg_options:
        cfg.merge_from_dict(a.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.pop('ann_file', None)  # split the whole training set
    try:
        check_dataset_cfg(ds_cfg, 'train_dataloader.dataset')
        from mmseg.registry import DATASETS
        ds = DATASETS.build(dict(ds_cfg, pipeline=[], lazy_init=True))
        splits = make_splits(dataset_sample_names(ds), a.fractions, a.seed)
    except (DataValidationError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    out_dir = a.out_dir or osp.join(ds_cfg.get('data_root') or '.', 'splits')
    for path in write_splits(out_dir, splits, a.seed):
        with open(path) as f:
            print(f'{path}: {sum(1 for _ in f)} samples')
    return 0


if __name__ == '__main__':
    sys.exit(main())
