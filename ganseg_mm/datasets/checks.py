"""Pre-flight checks of dataset configs, run before any worker starts.

``tools/train.py`` and ``tools/test.py`` call :func:`check_data_cfgs` so that a
missing data root, a missing annotation file, an empty split or an image
without its label map (a wrong ``seg_map_suffix``, the usual custom-dataset
mistake) is reported as one line naming the path, instead of an empty sampler
or a traceback in a dataloader worker; and so that a segmentor whose heads,
label checks and datasets disagree on the number of classes stops before it
trains (with too few classes a run fails late on a device-side assert, with too
many it trains silently on classes that never occur).
"""
from __future__ import annotations

import inspect
import os
import os.path as osp
from typing import Iterator, List, Tuple

from ganseg_mm.utils.errors import ConfigError, DataValidationError

_WRAPPER_KEYS = ('dataset', 'datasets')
# wrappers that read only the images of the dataset they wrap (no label pairing)
_IMAGE_ONLY_WRAPPERS = ('UnlabeledDataset',)


def _default_arg(dataset_type, key, fallback):
    if not isinstance(dataset_type, str):
        return fallback
    from mmseg.registry import DATASETS
    cls = DATASETS.get(dataset_type)
    if cls is None:
        return fallback
    param = inspect.signature(cls.__init__).parameters.get(key)
    if param is None or param.default is inspect.Parameter.empty:
        return fallback
    return param.default


def _first_file_with_suffix(root: str, suffix: str) -> str | None:
    for dirpath, _, files in os.walk(root, followlinks=True):
        for f in files:
            if f.endswith(suffix):
                return osp.join(dirpath, f)
    return None


def check_dataset_cfg(cfg: dict, name: str = 'dataset', labels: bool = True) -> None:
    """Check the paths of one dataset config (recursing into wrappers).

    Args:
        cfg (dict): The dataset config.
        name (str): Its name in messages.
        labels (bool): Whether every image needs its label map (False inside
            :class:`UnlabeledDataset`).

    Raises:
        DataValidationError: naming the missing directory/file, the empty
            split or the first image without its label map.
    """
    labels = labels and cfg.get('type') not in _IMAGE_ONLY_WRAPPERS
    for key in _WRAPPER_KEYS:
        sub = cfg.get(key)
        if isinstance(sub, dict):
            check_dataset_cfg(sub, f'{name}.{key}', labels)
        elif isinstance(sub, (list, tuple)):
            for i, d in enumerate(sub):
                if isinstance(d, dict):
                    check_dataset_cfg(d, f'{name}.{key}[{i}]', labels)
    if 'data_prefix' not in cfg and 'data_root' not in cfg:
        return  # a wrapper or a dataset that does not read from disk
    data_root = cfg.get('data_root') or ''
    if data_root and not osp.isdir(data_root):
        raise DataValidationError(
            f'{name}: data_root {data_root!r} does not exist '
            f'(working directory {os.getcwd()})')
    prefix = cfg.get('data_prefix') or {}
    ann_file = cfg.get('ann_file') or ''
    if ann_file:
        ann_path = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
        if not osp.isfile(ann_path):
            raise DataValidationError(f'{name}: ann_file {ann_path!r} does not exist')
        _check_split_file(cfg, name, ann_path, data_root, prefix)
    img_suffix = _suffix(cfg, 'img_suffix', '.jpg')
    for key, suffix in (('img_path', img_suffix),
                        ('seg_map_path', _suffix(cfg, 'seg_map_suffix', '.png'))):
        sub = prefix.get(key)
        if sub is None:
            continue
        path = osp.join(data_root, sub)
        if not osp.isdir(path):
            raise DataValidationError(f'{name}: {key} directory {path!r} does not exist')
        if key == 'img_path' and not ann_file and _first_file_with_suffix(path, suffix) is None:
            raise DataValidationError(
                f'{name}: empty split, no "*{suffix}" files under {path!r}')
    if labels and prefix.get('img_path') is not None and prefix.get('seg_map_path') is not None:
        img_dir = osp.join(data_root, prefix['img_path'])
        if ann_file:
            with open(ann_path) as f:
                stems = [line.strip() for line in f if line.strip()]
        else:
            stems = [f[:-len(img_suffix)] for f in _files_with_suffix(img_dir, img_suffix)]
        _check_pairs(cfg, name, stems, osp.join(data_root, prefix['seg_map_path']))


def _suffix(cfg: dict, key: str, fallback: str) -> str:
    return cfg.get(key) or _default_arg(cfg.get('type'), key, fallback)


def _files_with_suffix(root: str, suffix: str) -> list:
    """Paths relative to ``root`` as mmseg lists them (recursive, sorted)."""
    out = []
    for dirpath, _, files in os.walk(root, followlinks=True):
        out += [osp.relpath(osp.join(dirpath, f), root) for f in files if f.endswith(suffix)]
    return sorted(out)


def _check_pairs(cfg: dict, name: str, stems: list, seg_dir: str) -> None:
    """Every image must have its label map ``<stem><seg_map_suffix>`` (mmseg's
    pairing rule). Name the first one missing and, when a file of the same stem
    with another suffix is there (the usual custom-dataset mistake), that file."""
    suffix = _suffix(cfg, 'seg_map_suffix', '.png')
    missing = [s for s in stems if not osp.isfile(osp.join(seg_dir, s + suffix))]
    if not missing:
        return
    first = osp.join(seg_dir, missing[0] + suffix)
    msg = (f'{name}: {len(missing)} of {len(stems)} image(s) have no label map, e.g. '
           f'{first!r} (seg_map_suffix {suffix!r})')
    folder, stem = osp.split(first[:-len(suffix)])
    near = sorted(f for f in os.listdir(folder) if f.startswith(stem)) \
        if osp.isdir(folder) else []
    if near:
        msg += f'; there: {", ".join(near[:3])}: is seg_map_suffix right?'
    raise DataValidationError(msg)


def _check_split_file(cfg, name, ann_path, data_root, prefix) -> None:
    """Every sample a split file names must have its image on disk."""
    img_dir = osp.join(data_root, prefix.get('img_path', ''))
    suffix = cfg.get('img_suffix') or _default_arg(cfg.get('type'), 'img_suffix', '.jpg')
    with open(ann_path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise DataValidationError(f'{name}: split file {ann_path!r} is empty')
    missing = [n for n in names if not osp.isfile(osp.join(img_dir, n + suffix))]
    if missing:
        raise DataValidationError(
            f'{name}: split file {ann_path!r} names {len(missing)} sample(s) without an '
            f'image, e.g. {osp.join(img_dir, missing[0] + suffix)!r}')


def check_data_cfgs(cfg) -> None:
    """Check every ``*_dataloader.dataset`` present in a full config."""
    loaders = [(n, cfg.get(n))
               for n in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    # extra loaders of custom train loops (UDAIterBasedTrainLoop's unlabeled data)
    train_cfg = cfg.get('train_cfg') or {}
    loaders += [(f'train_cfg.{k}', v) for k, v in train_cfg.items()
                if k.endswith('dataloader') and isinstance(v, dict)]
    for loader, loader_cfg in loaders:
        if loader_cfg and isinstance(loader_cfg.get('dataset'), dict):
            check_dataset_cfg(loader_cfg['dataset'], f'{loader}.dataset')
    check_class_counts(cfg, [(f'{n}.dataset', c['dataset']) for n, c in loaders
                             if c and isinstance(c.get('dataset'), dict)])


def _class_counts(cfg: dict, name: str) -> Iterator[Tuple[str, int]]:
    """(setting, number of classes) that a dataset config and those it wraps
    state: ``metainfo.classes`` (or the dataset class's ``METAINFO``) and
    ``CheckSegMap.num_classes``. Nothing under an :class:`UnlabeledDataset`:
    its labels are never read."""
    if cfg.get('type') in _IMAGE_ONLY_WRAPPERS:
        return
    classes = (cfg.get('metainfo') or {}).get('classes')
    where = f'{name}.metainfo.classes'
    if classes is None and isinstance(cfg.get('type'), str):
        from mmseg.registry import DATASETS
        cls = DATASETS.get(cfg['type'])
        classes = (getattr(cls, 'METAINFO', None) or {}).get('classes')
        where = f'{name} ({cfg["type"]}.METAINFO classes)'
    if classes:
        yield where, len(classes)
    from .transforms.check_seg_map import CheckSegMap
    from .transforms.loading import step_name
    for i, step in enumerate(cfg.get('pipeline') or []):
        if step_name(step) == CheckSegMap.__name__:
            yield (f'{name}.pipeline[{i}] CheckSegMap num_classes',
                   CheckSegMap(**{k: v for k, v in step.items() if k != 'type'}).num_classes)
    for key in _WRAPPER_KEYS:
        sub = cfg.get(key)
        if isinstance(sub, dict):
            yield from _class_counts(sub, f'{name}.{key}')
        elif isinstance(sub, (list, tuple)):
            for i, d in enumerate(sub):
                if isinstance(d, dict):
                    yield from _class_counts(d, f'{name}.{key}[{i}]')


def check_class_counts(cfg, datasets: List[Tuple[str, dict]]) -> None:
    """The segmentor's heads (``model.decode_head``/``auxiliary_head``
    ``num_classes``) and ``datasets`` (name, config) agree on the number of
    classes. Configs without such a head (GANs, the DatasetGAN interpreter)
    are left alone.

    Raises:
        ConfigError: naming the first head setting and the first one that
            disagrees with it.
    """
    model = cfg.get('model') or {}
    counts = []
    for key in ('decode_head', 'auxiliary_head'):
        heads = model.get(key)
        listed = isinstance(heads, (list, tuple))
        for i, head in enumerate(heads if listed else [heads] if heads else []):
            if isinstance(head, dict) and head.get('num_classes') is not None:
                counts.append((f'model.{key}{f"[{i}]" if listed else ""}.num_classes',
                               head['num_classes']))
    if not counts:
        return
    for name, ds in datasets:
        counts += _class_counts(ds, name)
    (head, n), wrong = counts[0], [(w, m) for w, m in counts if m != counts[0][1]]
    if wrong:
        where, m = wrong[0]
        raise ConfigError(f'{head} is {n} but {where} is {m}: set both to the number of '
                          f'classes of the data')
