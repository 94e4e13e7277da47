"""DatasetGANInterpreterHead: datasetGAN_release's MLP widths, ensemble, vote, JS."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import ganseg_mm  # noqa: F401


def _head(**kw):
    cfg = dict(type='DatasetGANInterpreterHead', in_channels=6, num_classes=3)
    cfg.update(kw)
    # in mmseg's scope whatever an earlier test left as the default scope
    # (GAN helpers leave mmagic's)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg)


def test_reference_widths():
    head = _head()
    assert len(head.members) == 10
    m = head.members[0]
    assert [type(x) for x in m] == [nn.Linear, nn.ReLU, nn.BatchNorm1d] * 2 + [nn.Linear]
    assert (m[0].out_features, m[3].out_features, m[6].out_features) == (128, 32, 3)
    wide = _head(num_classes=32, num_members=2).members[0]
    assert (wide[0].out_features, wide[3].out_features) == (256, 128)


def test_loss_is_sum_of_member_cross_entropies():
    torch.manual_seed(0)
    head = _head(num_members=3, member_fraction=1.0)
    x, y = torch.randn(20, 6), torch.randint(0, 3, (20,))
    y[:5] = 255
    losses = head.loss(x, y)
    logits = head(x)
    expected = sum(F.cross_entropy(lg[5:], y[5:]) for lg in logits)
    assert losses['loss_ce'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert 0 <= losses['acc'].item() <= 1


def test_members_differ_and_training_fits():
    torch.manual_seed(0)
    head = _head(num_members=3, hidden_channels=(16, 8), member_fraction=1.0)
    x = torch.randn(64, 6)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    assert not torch.equal(head.members[0][0].weight, head.members[1][0].weight)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        loss = head.loss(x, y)['loss_ce']
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    head.eval()
    labels, js = head.predict(x)
    assert loss.item() < first / 3
    assert (labels == y).float().mean() > 0.9
    assert js.shape == (64,) and (js >= 0).all()


def test_each_member_trains_on_its_own_pixels():
    torch.manual_seed(0)
    head = _head(num_members=4)
    seen = []
    for m in head.members:
        m[0].register_forward_hook(lambda mod, i, o: seen.append(i[0]))
    x, y = torch.randn(40, 6), torch.randint(0, 3, (40,))
    head.loss(x, y)
    batches = seen[:4]  # then the no-grad vote on all pixels
    rows = [{tuple(r.tolist()) for r in b} for b in batches]
    assert all(len(b) == 20 for b in batches)  # member_fraction 0.5
    assert all(r <= {tuple(v.tolist()) for v in x} for r in rows)
    assert len({frozenset(r) for r in rows}) == 4  # four different subsets
    assert all(len(b) == 40 for b in seen[4:])


def _clusters(n, seed):
    """Three well separated classes of 6-d features."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    centres = torch.eye(3, 6) * 6
    return centres[y] + torch.randn(n, 6, generator=g), y


def test_js_ranks_a_corrupted_image_as_most_uncertain():
    """Trained on clean features, the ensemble disagrees most on a corrupted
    "image" (features off every class cluster): the image score of the
    uncertainty filter puts it first."""
    from ganseg_mm.models.utils.ensemble_uncertainty import image_score
    torch.manual_seed(0)
    head = _head(hidden_channels=(16, 8))
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    for step in range(100):
        x, y = _clusters(256, step)
        loss = head.loss(x, y)['loss_ce']
        opt.zero_grad()
        loss.backward()
        opt.step()
    head.eval()
    images = [_clusters(64, 1000 + i)[0] for i in range(4)]
    g = torch.Generator().manual_seed(7)
    images.append(torch.randn(64, 6, generator=g) * 6 - 3)  # the corrupted one
    scores = [image_score(head.predict(x)[1]) for x in images]
    assert max(range(5), key=scores.__getitem__) == 4, scores
    labels, js = head.predict(images[0])
    assert js.mean() > 0  # the members are not copies of each other


@pytest.mark.parametrize('kw,match', [
    (dict(member_fraction=0), 'member_fraction must be in'),
    (dict(num_classes=1), 'num_classes must be >= 2'),
    (dict(num_members=0), 'num_members must be a positive int'),
    (dict(in_channels=0), 'in_channels must be a positive int'),
    (dict(hidden_channels=(8,)), 'hidden_channels must have two widths'),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        _head(**kw)


def test_bad_feature_shape():
    with pytest.raises(ValueError, match=r'features must be \(N, 6\), got \(4, 5\)'):
        _head()(torch.zeros(4, 5))
