"""Tiny GAN-augmentation artefacts for tests: a generator checkpoint and a synthetic set."""
import json
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
GAN_DEMO = osp.join(REPO, 'configs/ganaug/pix2pixhd_demo.py')


def tiny_checkpoint(path: str, config: str = GAN_DEMO, **gen_overrides) -> str:
    """An untrained (seeded) Pix2PixHD of ``config`` saved like tools/train.py does."""
    import ganseg_mm  # noqa: F401
    from mmagic.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.generator.update(gen_overrides)
    if 'num_classes' in gen_overrides:  # a GAN of another class count, consistent in itself
        cfg.model.discriminator.in_channels = gen_overrides['num_classes'] + 5
        cfg.model.data_preprocessor.num_classes = gen_overrides['num_classes']
    init_default_scope('mmagic')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save(dict(meta=dict(iter=0), state_dict=model.state_dict()), path)
    return path


def demo_files(root: str, split: str = 'train'):
    """(img, seg_map) pairs of a demo-data root, in dataset order."""
    from ganseg_mm.datasets.label_files import dataset_from_cfg, label_files
    cfg = dict(type='CityscapesDataset', data_root=root,
               data_prefix=dict(img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'))
    return label_files(dataset_from_cfg(cfg))


def make_synthetic_set(demo_root: str, work: str, num: int = 6) -> str:
    """Repository + composed maps + rendered images + manifest under ``work``/synth."""
    from ganseg_mm.ganaug.class_repository import build_repository
    from ganseg_mm.ganaug.compose_set import compose_set
    from ganseg_mm.ganaug.renderer import load_pix2pixhd, render_set
    from mmseg.datasets import CityscapesDataset
    files = demo_files(demo_root)
    repo, out = osp.join(work, 'repo'), osp.join(work, 'synth')
    build_repository(files, repo, CityscapesDataset.METAINFO['classes'], progress=False)
    compose_set([s for _, s in files], repo, out, num, progress=False)
    ckpt = tiny_checkpoint(osp.join(work, 'gan.pth'))
    gen, info = load_pix2pixhd(GAN_DEMO, ckpt)
    render_set(out, gen, info, dict(generator='test'), batch_size=4, progress=False)
    return out


def write_alignment(synth_root: str, path: str, scores) -> list:
    """alignment.json at ``path`` with the given per-image scores, in the
    manifest's order; returns the image names."""
    with open(osp.join(synth_root, 'manifest.json')) as f:
        names = [m['name'] for m in json.load(f)['images']]
    rows = [dict(name=n, score=s, iou={}) for n, s in zip(names, scores)]
    with open(path, 'w') as f:
        json.dump(dict(images=rows), f)
    return names
