"""Cost of ganseg_mm's per-sample data check (CheckSegMap) in the demo pipeline.

Loads every demo training sample through mmseg's CityscapesDataset with the
demo train pipeline, with and without CheckSegMap, interleaved in one run.
Target: checked/plain throughput >= 0.95x.
"""
import tempfile
import time

from mmengine.config import Config


def _throughput(ds, n):
    t = time.perf_counter()
    for i in range(n):
        ds[i % len(ds)]
    return n / (time.perf_counter() - t)


def run(args):
    import ganseg_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmseg.datasets import CityscapesDataset
    from ganseg_mm.demo import generate_demo_cityscapes
    init_default_scope('mmseg')
    root = tempfile.mkdtemp(prefix='bench_demo_')
    generate_demo_cityscapes(root, num_train=40, num_val=1)
    base = Config.fromfile('configs/baseline/deeplabv3_r18_demo.py')
    checked = base.train_pipeline
    plain = [t for t in checked if t['type'] != 'CheckSegMap']
    kw = dict(data_root=root, data_prefix=dict(img_path='leftImg8bit/train',
                                               seg_map_path='gtFine/train'))
    ds_c = CityscapesDataset(pipeline=checked, **kw)
    ds_p = CityscapesDataset(pipeline=plain, **kw)
    n = 40 if args.quick else 200
    _throughput(ds_p, 10), _throughput(ds_c, 10)  # warm up file cache
    plain_r, checked_r = [], []
    for _ in range(3):  # interleave to share machine noise
        plain_r.append(_throughput(ds_p, n))
        checked_r.append(_throughput(ds_c, n))
    a, b = max(plain_r), max(checked_r)
    return [dict(what='demo train pipeline samples/s (1 process)',
                 a_label='plain', a=a, b_label='checked', b=b, ratio=b / a,
                 target='>= 0.95x')]
