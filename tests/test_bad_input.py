"""The README's "Bad input" promise over every shipped segmentation config.

Every config family (baseline, CEGU, UDA, GAN augmentation, DatasetGAN, RCS,
combined; Cityscapes and demo) loads its labeled data through the checked
loaders and ``CheckSegMap``, and its pre-flight check names an image whose
label map is missing. End to end, ``tools/train.py`` turns a truncated label
PNG or image met inside a dataloader worker, and a wrong ``seg_map_suffix``,
into one ``error:`` line naming the file, exit status 2. Config settings that
cannot work (class counts that disagree, a CEGU discriminator for another
class count, contradicting UDA settings) end the same way, naming the setting.
"""
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
from mmengine.config import Config

from ganseg_mm.datasets import check_data_cfgs
from ganseg_mm.datasets.checks import check_class_counts
from ganseg_mm.datasets.transforms import CheckedLoadAnnotations, CheckedLoadImageFromFile
from ganseg_mm.datasets.transforms.loading import IMAGE_LOADERS, LABEL_LOADERS, step_name
from ganseg_mm.demo.config import dataloaders, datasets
from ganseg_mm.utils.errors import ConfigError, DataValidationError
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SEGMENTORS = ('EncoderDecoder', 'UDAEncoderDecoder')
SEG_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                            recursive=True)
    if '_base_' not in p and Config.fromfile(p).model.type in SEGMENTORS)
GAN_CONFIGS = ['configs/ganaug/pix2pixhd_cityscapes.py', 'configs/ganaug/pix2pixhd_demo.py']


def _pipelines(cfg):
    """(name, pipeline, labeled) of every dataset of every loader of ``cfg``."""
    for loader in dataloaders(cfg):
        labeled = True
        for ds in datasets(loader['dataset']):
            labeled = labeled and ds.get('type') != 'UnlabeledDataset'
            if ds.get('pipeline'):
                yield ds.get('type'), ds['pipeline'], labeled


def test_config_lists_cover_every_family():
    families = {osp.basename(osp.dirname(c)) for c in SEG_CONFIGS}
    assert families == {'configs', 'baseline', 'cegu', 'combined', 'datasetgan', 'ganaug', 'rcs',
                        'uda'}  # configs/: the README's entry point
    assert any('cityscapes' in c for c in SEG_CONFIGS) and any('demo' in c for c in SEG_CONFIGS)


@pytest.mark.parametrize('config', SEG_CONFIGS + GAN_CONFIGS)
def test_every_config_loads_through_the_checked_loaders(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    seen = 0
    for ds_type, pipeline, labeled in _pipelines(cfg):
        names = [step_name(t) for t in pipeline]
        loaders = [n for n in names if n in IMAGE_LOADERS + LABEL_LOADERS]
        assert loaders and all(n.startswith('Checked') for n in loaders), (ds_type, names)
        if labeled and config not in GAN_CONFIGS:
            i = names.index('CheckedLoadAnnotations')
            assert names[i + 1] == 'CheckSegMap', names
            assert pipeline[i + 1].get('num_classes') == cfg.model.decode_head.num_classes
        seen += 1
    assert seen >= (1 if config in GAN_CONFIGS else 2)  # and an evaluation pipeline


@pytest.fixture(scope='module')
def data_missing_a_label(tiny_uda_root, tmp_path_factory):
    """The tiny UDA data with the label map of the image of the 16/300 split
    gone: the splits are prefixes of one permutation, so it is labeled in every
    split (1/8 and 1/4 too)."""
    root = str(tmp_path_factory.mktemp('bad') / 'demo_cityscapes')
    shutil.copytree(tiny_uda_root, root)
    with open(osp.join(root, 'splits', '4-75_seed0_labeled.txt')) as f:
        stem = f.readline().strip()
    label = osp.join(root, 'gtFine', 'train', stem + '_gtFine_labelTrainIds.png')
    os.remove(label)
    return root, label


@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_preflight_names_an_image_without_its_label(config, data_missing_a_label, tmp_path):
    root, label = data_missing_a_label
    cfg = point_cfg_at_demo(Config.fromfile(osp.join(REPO, config)), root, str(tmp_path))
    with pytest.raises(DataValidationError) as e:
        check_data_cfgs(cfg)
    where = r'train_dataloader\.dataset(\.dataset|\.datasets\[\d\])*'  # wrappers, concats
    assert re.search(where + r': 1 of \d+ image\(s\) have no label map, e\.g\. '
                     + re.escape(repr(label)), str(e.value)), e.value


def test_preflight_names_the_suffix_that_is_there(tiny_demo_root):
    cfg = dict(type='CityscapesDataset', data_root=tiny_demo_root,
               seg_map_suffix='_gtFine_labelTrainId.png',  # a typo: Id for Ids
               data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'))
    from ganseg_mm.datasets import check_dataset_cfg
    with pytest.raises(DataValidationError, match=r"12 of 12 image\(s\) have no label map.*"
                       r"_gtFine_labelTrainIds.png.*is seg_map_suffix right\?"):
        check_dataset_cfg(cfg)


def test_unlabeled_images_need_no_labels(tiny_uda_root, tmp_path):
    """UDA's unlabeled set reads images only: no label pairing there."""
    root = str(tmp_path / 'demo')
    shutil.copytree(tiny_uda_root, root)
    for f in glob.glob(osp.join(root, 'gtFine', 'train', '*', '*')):
        os.remove(f)
    cfg = point_cfg_at_demo(
        Config.fromfile(osp.join(REPO, 'configs/uda/deeplabv3_r18_uda_demo.py')), root,
        str(tmp_path / 'wd'))
    cfg.train_dataloader.dataset.data_root = tiny_uda_root  # the labeled part is intact
    check_data_cfgs(cfg)


def _truncate(path):
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


@pytest.mark.parametrize('loader,key,suffix', [
    (CheckedLoadImageFromFile, 'img_path', '_leftImg8bit.png'),
    (CheckedLoadAnnotations, 'seg_map_path', '_gtFine_labelTrainIds.png')])
def test_checked_loaders_name_the_file(loader, key, suffix, demo_copy):
    path = sorted(glob.glob(osp.join(demo_copy, '*', 'train', '*', '*' + suffix)))[0]
    results = {key: path, 'seg_fields': [], 'reduce_zero_label': False}
    assert loader()(dict(results)) is not None  # a good file loads as mmcv/mmseg load it
    _truncate(path)
    with pytest.raises(DataValidationError, match='^' + re.escape(path) + ': cannot decode it'):
        loader()(dict(results))
    with open(path, 'wb') as f:
        f.write(b'not an image at all')
    with pytest.raises(DataValidationError, match='^' + re.escape(path) + ': cannot decode it'):
        loader()(dict(results))
    os.remove(path)
    with pytest.raises(DataValidationError, match='^' + re.escape(path) + ': missing$'):
        loader()(dict(results))


def _train(config, root, work_dir, *opts, workers=2, train_ds='train_dataloader.dataset'):
    o = []
    for d in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        o += [f'{d}.num_workers={workers}', f'{d}.persistent_workers={workers > 0}']
    datasets_read = (train_ds, 'val_dataloader.dataset', 'test_dataloader.dataset')
    o += [f'{d}.data_root={root}/' for d in datasets_read]
    o += ['train_cfg.max_iters=2', 'train_cfg.val_interval=2',
          'default_hooks.checkpoint.interval=2', *opts]
    return subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
                           '--cfg-options', *o], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def _one_line_error(proc, pattern):
    """Exit 2, no traceback, one ``error:`` line (libpng's own complaint from
    the decoding worker may come around it)."""
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and re.search(pattern, errors[0]), proc.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize('suffix', ['_gtFine_labelTrainIds.png', '_leftImg8bit.png'])
def test_truncated_file_inside_a_worker_ends_in_one_line(suffix, demo_copy, tmp_path):
    """Every train file truncated: the first one a worker meets is named."""
    for f in glob.glob(osp.join(demo_copy, '*', 'train', '*', '*' + suffix)):
        _truncate(f)
    p = _train('configs/baseline/deeplabv3_r18_demo.py', demo_copy, str(tmp_path / 'wd'))
    _one_line_error(p, r'^error: \S+' + re.escape(suffix) + r': cannot decode it')


@pytest.mark.slow
def test_truncated_label_met_by_rare_class_statistics(demo_copy, tmp_path):
    """RCS reads every label map before training: the truncated one is named there."""
    label = sorted(glob.glob(osp.join(demo_copy, 'gtFine', 'train', '*',
                                      '*_gtFine_labelTrainIds.png')))[3]
    _truncate(label)
    p = _train('configs/rcs/deeplabv3_r18_rcs_demo.py', demo_copy, str(tmp_path / 'wd'),
               'train_dataloader.dataset.cache_dir=' + str(tmp_path / 'stats'), workers=0,
               train_ds='train_dataloader.dataset.dataset')
    _one_line_error(p, '^error: ' + re.escape(label) + ': cannot decode it')


@pytest.mark.slow
def test_wrong_label_suffix_ends_at_preflight(tiny_demo_root, tmp_path):
    p = _train('configs/baseline/deeplabv3_r18_demo.py', tiny_demo_root, str(tmp_path / 'wd'),
               'train_dataloader.dataset.seg_map_suffix=_gtFine_labelIds_.png')
    _one_line_error(p, r"^error: train_dataloader.dataset: 12 of 12 image\(s\) have no label "
                       r"map.*is seg_map_suffix right\?$")
    assert not osp.exists(str(tmp_path / 'wd'))  # nothing started, nothing written


def _loader_datasets(cfg):
    return [(f'{n}.dataset', cfg[n].dataset)
            for n in ('train_dataloader', 'val_dataloader', 'test_dataloader') if cfg.get(n)]


@pytest.mark.parametrize('config', SEG_CONFIGS)
def test_class_counts_agree_and_a_wrong_one_is_named(config):
    cfg = Config.fromfile(osp.join(REPO, config))
    check_class_counts(cfg, _loader_datasets(cfg))  # every shipped config agrees
    aux = cfg.model.get('auxiliary_head') or []
    for head in [cfg.model.decode_head] + (aux if isinstance(aux, list) else [aux]):
        head.num_classes = 7
    with pytest.raises(ConfigError, match=r'^model.decode_head.num_classes is 7 but '
                                          r'train_dataloader.dataset\S* .* is 19: '):
        check_class_counts(cfg, _loader_datasets(cfg))


def test_class_count_of_a_custom_dataset_comes_from_its_metainfo():
    cfg = Config.fromfile(osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py'))
    cfg.model.decode_head.num_classes = cfg.model.auxiliary_head.num_classes = 6
    for _, ds in _loader_datasets(cfg):
        for step in ds.pipeline:
            if step.type == 'CheckSegMap':
                step.num_classes = 6
    cfg.train_dataloader.dataset.metainfo = dict(classes=list('abcdef'))
    with pytest.raises(ConfigError, match=r'is 6 but val_dataloader.dataset \(CityscapesDataset'
                                          r'.METAINFO classes\) is 19'):
        check_class_counts(cfg, _loader_datasets(cfg))
    for name in ('val_dataloader', 'test_dataloader'):
        cfg[name].dataset.metainfo = dict(classes=list('abcdef'))
    check_class_counts(cfg, _loader_datasets(cfg))


@pytest.mark.slow
@pytest.mark.parametrize('config,opts,pattern', [
    ('configs/baseline/deeplabv3_r18_demo.py', ['model.auxiliary_head.num_classes=18'],
     r'^error: model.decode_head.num_classes is 19 but model.auxiliary_head.num_classes is 18'),
    ('configs/cegu/deeplabv3_r18_cegu_demo.py',
     ['custom_hooks.1.discriminator.in_channels=20'],
     r'^error: CEGU discriminator in_channels=20, but the segmentor has num_classes=19'),
    ('configs/uda/deeplabv3_r18_uda_demo.py',
     ['model.predict_on=teacher', 'model.teacher_ema_decay=None'],
     r"^error: predict_on='teacher' needs teacher_ema_decay$"),
    ('configs/uda/deeplabv3_r18_uda_demo.py', ['train_cfg.unsup_ratio=0'],
     r'^error: unsup_ratio must be a positive integer, got 0$'),
])
def test_config_that_cannot_work_ends_in_one_line(config, opts, pattern, tiny_uda_root, tmp_path):
    if '/uda/' in config:
        opts = opts + [f'train_cfg.unlabeled_dataloader.dataset.dataset.data_root={tiny_uda_root}/']
    p = _train(config, tiny_uda_root, str(tmp_path / 'wd'), *opts, workers=0)
    _one_line_error(p, pattern)
