"""UDA vs supervised training: train-step time and peak memory at unsup ratio 1.

Both train DeepLabV3 R-18 through a real mmengine Runner in their own process
(``_train_step.measure``) on demo scenes at 256x512: the supervised step on a
labeled batch of 2, the UDA step on the same labeled batch plus 2 unlabeled
images (weak + strong view: one teacher pass without graph; the student runs
once on labeled + strong images concatenated, ``student_forward='joint'``, the
default, or in two passes, ``'separate'``, shown for comparison). The
consistency loss is active from the first iteration. The
supervised run is measured before and after UDA and the faster one is kept,
so drift of the machine does not favour UDA.
Targets: step time <= 2.2x, peak memory <= 2.0x.
"""
import os
import os.path as osp
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _train_step import REPO, measure  # noqa: E402

SIZE = (256, 512)  # (h, w)
SUP = 'configs/uda/deeplabv3_r18_1-8sup_demo.py'
UDA = 'configs/uda/deeplabv3_r18_uda_demo.py'


def run(args):
    sys.path.insert(0, REPO)
    from ganseg_mm.demo import generate_demo_cityscapes
    from ganseg_mm.datasets.splits import make_splits, write_splits
    root = tempfile.mkdtemp(prefix='bench_uda_') + '/'
    generate_demo_cityscapes(root, num_train=16, num_val=1, height=SIZE[0], width=SIZE[1])
    img_dir = osp.join(root, 'leftImg8bit', 'train')
    names = sorted(osp.relpath(osp.join(d, f), img_dir)[:-len('_leftImg8bit.png')]
                   for d, _, fs in os.walk(img_dir) for f in fs)
    write_splits(osp.join(root, 'splits'), make_splits(names, ['1/8'], seed=0), 0)
    iters = 4 if args.quick else 15
    uda_opts = {'model.rampup_iters': 0, 'model.confidence_threshold': 0.0,
                'train_cfg.unsup_ratio': 1}
    sup_runs = [measure(SUP, root, iters, SIZE)]
    uda = measure(UDA, root, iters, SIZE, dict(uda_opts, **{'model.student_forward': 'joint'}))
    rows = []
    if not args.quick:
        separate = measure(UDA, root, iters, SIZE,
                           dict(uda_opts, **{'model.student_forward': 'separate'}))
        sup_runs.append(measure(SUP, root, iters, SIZE))
    sup = min(sup_runs, key=lambda r: r['step'])
    rows.append(dict(what='train step s, R18 256x512, 2 labeled (+2 unlabeled)',
                     a_label='sup', a=sup['step'], b_label='UDA', b=uda['step'],
                     ratio=uda['step'] / sup['step'], target='<= 2.2x'))
    if not args.quick:
        rows.append(dict(what="  same, student_forward='separate' (two passes)",
                         a_label='sup', a=sup['step'], b_label='UDA', b=separate['step'],
                         ratio=separate['step'] / sup['step']))
    rows.append(dict(what='peak memory MB in training', a_label='sup', a=sup['mem_mb'],
                     b_label='UDA', b=uda['mem_mb'], ratio=uda['mem_mb'] / sup['mem_mb'],
                     target='<= 2.0x'))
    return rows
