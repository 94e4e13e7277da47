"""What the GAN-augmentation tools share: config/split loading and bad-input exits."""
from __future__ import annotations

import sys
from typing import Callable, List, Optional

from ganseg_mm.datasets.errors import DataValidationError, data_error_message


def exit_on_bad_data(main: Callable[[], None]) -> int:
    """Run ``main``; bad data -> one ``error:`` line on stderr and exit status 2."""
    try:
        main()
    except DataValidationError as e:
        print(f'error: {data_error_message(e)}', file=sys.stderr)
        return 2
    return 0


def dataset_files(config: str, split: str, cfg_options: Optional[dict] = None) -> tuple:
    """((img_path, seg_map_path) list, class names, ignore index) of a config's split."""
    from mmengine.config import Config
    from .label_io import dataset_from_cfg, label_files, split_cfg
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    from ganseg_mm.datasets import check_dataset_cfg
    ds_cfg = split_cfg(cfg, split)
    check_dataset_cfg(ds_cfg, f'{split}_dataloader.dataset')
    ds = dataset_from_cfg(ds_cfg)
    files = label_files(ds)
    if not files:
        raise DataValidationError(f'{config}: the {split} split is empty')
    names: List[str] = list(ds.metainfo['classes'])
    return files, names, int(ds_cfg.get('ignore_index', 255))


def parse_shard(text: Optional[str]) -> tuple:
    """'i/n' -> (i, n); None -> torchrun's RANK/WORLD_SIZE or (0, 1)."""
    import os
    if text is None:
        return int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    try:
        i, n = (int(x) for x in text.split('/'))
    except ValueError:
        raise ValueError(f'--shard must be i/n, got {text!r}') from None
    if not 0 <= i < n:
        raise ValueError(f'--shard must satisfy 0 <= i < n, got {text!r}')
    return i, n
