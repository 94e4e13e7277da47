"""The lazy-initialization contract of mmengine's dataset wrappers."""
from __future__ import annotations

import copy


class LazyInitWrapper:
    """What mmengine's ``ConcatDataset``/``ClassBalancedDataset`` promise and
    the project's wrappers share: ``metainfo`` returned as a copy, and the
    index built once, by :meth:`full_init`, right away or on first use
    (``lazy_init``). Subclasses implement :meth:`_full_init`."""

    def _init_lazily(self, metainfo: dict, lazy_init: bool) -> None:
        self._metainfo = metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self._full_init()
        self._fully_initialized = True

    def _full_init(self) -> None:
        raise NotImplementedError
