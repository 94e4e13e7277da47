"""UnlabeledDataset: any mmseg dataset, its images only (labels never loaded)."""
from __future__ import annotations

import copy
from typing import List, Union

from mmengine.dataset import BaseDataset, Compose, force_full_init
from mmseg.registry import DATASETS

from ganseg_mm.utils.errors import ConfigError, DataValidationError
from .transforms.loading import LABEL_LOADERS, step_name
from .wrapper import LazyInitWrapper


@DATASETS.register_module()
class UnlabeledDataset(LazyInitWrapper):
    """Wrap an mmseg dataset config so that its samples come without labels.

    The wrapped dataset lists its samples as usual (``ann_file`` may name an
    unlabeled split written by ``tools/make_splits.py``); this wrapper drops the
    label path from every sample and runs its own ``pipeline``, which must not
    load annotations.

    Args:
        dataset (dict | BaseDataset): the mmseg dataset (its own pipeline is
            not used).
        pipeline (list[dict]): the unlabeled pipeline, typically weak geometry
            + ``StrongView`` + ``PackUDAInputs``.
        lazy_init (bool): defer loading the sample list. Defaults to False.
    """

    def __init__(self, dataset: Union[dict, BaseDataset], pipeline: List[dict],
                 lazy_init: bool = False):
        loaders = [t.get('type') for t in pipeline if isinstance(t, dict)
                   and step_name(t) in LABEL_LOADERS]
        if loaders:
            raise ConfigError(f'UnlabeledDataset: the pipeline loads labels ({loaders}); '
                              'remove them, unlabeled samples have none')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dict(copy.deepcopy(dataset), pipeline=[],
                                          lazy_init=True))
        self.dataset = dataset
        self.pipeline = Compose(pipeline)
        self._init_lazily(self.dataset.metainfo, lazy_init)

    def _full_init(self) -> None:
        try:
            self.dataset.full_init()
            empty = len(self.dataset) == 0
        except ValueError:
            # mmengine cannot serialize an empty sample list; say what it means
            if getattr(self.dataset, 'data_list', None) != []:
                raise
            empty = True
        if empty:
            raise DataValidationError(
                f'UnlabeledDataset: the unlabeled set is empty '
                f'({getattr(self.dataset, "ann_file", "") or self.dataset.data_root})')

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        info = copy.deepcopy(self.dataset.get_data_info(idx))
        info.pop('seg_map_path', None)
        info['seg_fields'] = []
        return info

    @force_full_init
    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(self.get_data_info(idx))
