"""Composer: target maths, placement rules, determinism, and the measured move toward the target."""
import numpy as np
import pytest

from mmseg.datasets import CityscapesDataset

from ganseg_mm.utils.errors import ConfigError, DataValidationError
from ganseg_mm.ganaug.class_repository import ClassRepository, build_repository
from ganseg_mm.ganaug.composer import (CITYSCAPES_GROUND, CITYSCAPES_THINGS, LabelComposer,
                                       default_layout, distance, target_distribution)
from ganseg_mm.utils.labels import read_instances, read_label
from tests.test_ganaug.ganaug_helpers import demo_files

NAMES = list(CityscapesDataset.METAINFO['classes'])
PLAIN = [f'c{i}' for i in range(19)]  # the same data under another dataset's names


def _repo(root, files, names):
    build_repository(files, root, names, progress=False)
    return ClassRepository(root)


@pytest.fixture(scope='module')
def repo(tiny_demo_root, tmp_path_factory):
    return _repo(str(tmp_path_factory.mktemp('repo')), demo_files(tiny_demo_root), NAMES)


@pytest.fixture(scope='module')
def plain_repo(tiny_demo_root, tmp_path_factory):
    return _repo(str(tmp_path_factory.mktemp('plain')), demo_files(tiny_demo_root), PLAIN)


def test_target_distributions_exact():
    f = np.array([0.64, 0.36, 0.0])
    assert np.allclose(target_distribution(f, 'sqrt'), [0.8 / 1.4, 0.6 / 1.4, 0])
    assert np.allclose(target_distribution(f, 'inverse'), [0.5, 0.5, 0])
    assert np.allclose(target_distribution(f, {1: 2}), [0.64 / 1.36, 0.72 / 1.36, 0])
    with pytest.raises(ValueError, match='outside'):
        target_distribution(f, {5: 2})
    with pytest.raises(ValueError, match="'sqrt', 'inverse'"):
        target_distribution(f, 'log')
    assert distance([1, 0], [0, 1]) == 1.0 and distance([2, 2], [1, 1]) == 0.0


def _compose_all(repo, files, **kw):
    comp = LabelComposer(repo, **kw)
    before = np.zeros(19)
    outs = []
    for i in range(24):
        src = files[i % len(files)][1]
        base = read_label(src, 19)
        before += np.bincount(base.ravel(), minlength=256)[:19]
        outs.append((base,) + comp.compose(base, read_instances(src, base.shape), i))
    return comp, before, outs


def test_composition_moves_toward_target(repo, tiny_demo_root):
    files = demo_files(tiny_demo_root)
    comp, before, outs = _compose_all(repo, files, target='sqrt', seed=0)
    d0, d1 = distance(before, comp.target), distance(comp.totals, comp.target)
    # docs/ganaug.md measures it on the 300 demo maps: 0.221 -> 0.082
    assert d1 < d0 - 0.02, (d0, d1)
    # inverse frequency moves further than sqrt from the base distribution
    inv, before_i, _ = _compose_all(repo, files, target='inverse', seed=0)
    assert distance(inv.totals, inv.target) < distance(before_i, inv.target)


def test_placement_rules_and_determinism(repo, tiny_demo_root):
    files = demo_files(tiny_demo_root)
    _, _, a = _compose_all(repo, files, seed=3)
    _, _, b = _compose_all(repo, files, seed=3)
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    n_pastes = 0
    for base, label, inst, pastes in a:
        assert np.all(label[base == 255] == 255)  # ignore kept
        for p in pastes:
            n_pastes += 1
            x0, y0, x1, y1 = p['bbox']
            h = base.shape[0]
            region = repo.region(p['cls'], p['region'])
            assert y1 == min(max(round(region['foot'] * h), y1 - y0), h)  # source height
            assert 0.8 <= p['scale'] <= 1.25
            if p['cls'] >= 11:  # things stand on ground
                assert base[min(y1, h - 1), x0 + (x1 - x0) // 2] in CITYSCAPES_GROUND or \
                    label[min(y1, h - 1), x0 + (x1 - x0) // 2] in CITYSCAPES_GROUND
    assert n_pastes > 10


def test_occlusion_keeps_nearer_instances():
    class Repo:  # one 2x2 region of class 12 standing at row 6 of 8
        num_classes, ignore_index, root, class_names = 19, 255, 'r', NAMES

        def num_regions(self, c):
            return 1 if c == 12 else 0

        def class_pixels(self):
            return np.ones(19)

        def region(self, c, k):
            return dict(cls=12, mask=np.ones((4, 8), bool), foot=6 / 8, height=8, width=8,
                        source='s')
    base = np.zeros((8, 8), np.uint8)
    inst = np.zeros((8, 8), np.int32)
    base[5:8, 0:8], inst[5:8, 0:8] = 13, 26000  # a nearer car (foot at the bottom)
    base[0, :] = 255
    comp = LabelComposer(Repo(), classes=[12], thing_classes=(), pastes_per_map=(1, 1),
                         scale_range=(1, 1))
    label, _, pastes = comp.compose(base, inst, 0)
    assert len(pastes) == 1 and pastes[0]['bbox'] == [0, 2, 8, 6]
    assert (label[5:8] == 13).all() and (label[2:5] == 12).all()  # behind the car
    with pytest.raises(DataValidationError, match='class 5 .* empty repository'):
        LabelComposer(Repo(), classes=[5])


def test_a_map_stops_pasting_a_class_once_it_reaches_its_target():
    """The deficit counts the map being composed: 20 allowed pastes of a 5x1
    column stop once the column class holds its target share (10 %) of the
    map, instead of covering the map's bottom with it."""
    class Repo:
        num_classes, ignore_index, root, class_names = 2, 255, 'r', ['a', 'b']

        def num_regions(self, c):
            return 1 if c == 1 else 0

        def class_pixels(self):
            return np.array([90., 10.])

        def region(self, c, k):
            return dict(cls=1, mask=np.ones((5, 1), bool), foot=1.0, height=20, width=20,
                        source='s')
    comp = LabelComposer(Repo(), target={1: 1}, pastes_per_map=(20, 20), scale_range=(1, 1))
    label, _, pastes = comp.compose(np.zeros((20, 20), np.uint8), None, 0)
    share = (label == 1).mean()
    assert 0.1 <= share <= 0.1 + 5 / 400, share
    assert len(pastes) < 20


@pytest.mark.parametrize('fraction', [0.05, 0.2])
def test_a_map_pastes_until_its_pixel_budget_is_spent(repo, tiny_demo_root, fraction):
    """Pastes go on until paste_fraction of the map is pasted: every paste but
    the last was needed, and a map short of its budget ran out of pastes or of
    deficit. A larger budget moves the set further toward the target."""
    files = demo_files(tiny_demo_root)
    comp, before, outs = _compose_all(repo, files, paste_fraction=fraction,
                                      pastes_per_map=(1, 32))
    for base, label, _, pastes in outs:
        budget = fraction * label.size
        assert sum(p['pixels'] for p in pastes[:-1]) < budget
    assert any(sum(p['pixels'] for p in pastes) >= fraction * label.size
               for _, label, _, pastes in outs)


def test_a_larger_pixel_budget_moves_further_toward_the_target(repo, tiny_demo_root):
    files = demo_files(tiny_demo_root)
    d = [distance(c.totals, c.target) for c, _, _ in (
        _compose_all(repo, files, paste_fraction=f) for f in (0.05, 0.2))]
    assert d[1] < d[0] - 0.02, d
    with pytest.raises(ValueError, match=r'paste_fraction must be in \(0, 1\]'):
        LabelComposer(repo, paste_fraction=0)


def test_things_and_ground_are_cityscapes_only_for_cityscapes_classes(repo, plain_repo):
    assert default_layout(NAMES) == (CITYSCAPES_THINGS, CITYSCAPES_GROUND)
    assert default_layout(PLAIN) == ((), ())
    assert LabelComposer(repo).things == set(CITYSCAPES_THINGS)
    assert LabelComposer(plain_repo).things == set()  # no class forced onto another
    by_name = LabelComposer(plain_repo, thing_classes=['c13', 11], ground_classes=['c0'])
    assert by_name.things == {11, 13} and by_name.ground.tolist() == [0]
    with pytest.raises(ConfigError, match="thing_classes: unknown class 'car'.*c0, c1"):
        LabelComposer(plain_repo, thing_classes=['car'], ground_classes=['c0'])
    with pytest.raises(ConfigError, match='ground_classes: class id 19 outside'):
        LabelComposer(plain_repo, thing_classes=[13], ground_classes=[19])
    with pytest.raises(ConfigError, match='need ground_classes'):
        LabelComposer(plain_repo, thing_classes=[13], ground_classes=[])


def test_configured_things_stand_on_configured_ground(plain_repo, tiny_demo_root):
    files = demo_files(tiny_demo_root)
    _, _, outs = _compose_all(plain_repo, files, seed=1, thing_classes=['c13'],
                              ground_classes=['c1'])
    feet = []
    for base, label, inst, pastes in outs:
        h = base.shape[0]
        for p in pastes:
            if p['cls'] == 13:
                x0, _, x1, y1 = p['bbox']
                feet.append(base[min(y1, h - 1), x0 + (x1 - x0) // 2])
    assert feet and set(feet) == {1}  # sidewalk only, never road (Cityscapes' ground)


def test_instance_ids_only_for_things_and_only_with_instance_maps(repo, tiny_demo_root):
    files = demo_files(tiny_demo_root)
    comp = LabelComposer(repo, seed=2, pastes_per_map=(1, 1))  # none covered by another
    things = stuff = 0
    for i, (_, src) in enumerate(files * 3):
        base = read_label(src, 19)
        base_inst = read_instances(src, base.shape)
        assert base_inst is not None
        label, new_inst, pastes = comp.compose(base, base_inst, i)
        for p in pastes:
            x0, y0, x1, y1 = p['bbox']
            win = new_inst[y0:y1, x0:x1][label[y0:y1, x0:x1] == p['cls']]
            if p['cls'] in CITYSCAPES_THINGS:
                things += 1
                assert (win >= 1000).any()
            else:
                stuff += 1
                assert not (win >= 1000).any()  # no thing-style id inside stuff
        _, none_inst, _ = comp.compose(base, None, i)  # a dataset without instances
        assert not none_inst.any()
    assert things and stuff
