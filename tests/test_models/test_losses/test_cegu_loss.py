import pytest
import torch
import torch.nn as nn
from mmseg.models.losses import CrossEntropyLoss

from ganseg_mm.models.losses import CEGUAdversarialLoss, CEGULoss, cegu_pixel_weights
from ganseg_mm.models.losses.cegu_loss import CEGUContext


class ConstD(nn.Module):
    """A 'discriminator' returning fixed logits (sigmoid = 1 - uncertainty)."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits
        self.w = nn.Parameter(torch.ones(1))
        self.in_channels = None

    def forward(self, x):
        out = self.logits.expand(x.shape[0], 1, *x.shape[2:]) if self.logits.dim() == 4 \
            else torch.full((x.shape[0], 1, *x.shape[2:]), float(self.logits))
        return out * self.w


def _data(seed=0, n=2, c=4, h=3, w=5):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, h, w, generator=g)
    label = torch.randint(0, c, (n, h, w), generator=g)
    label[0, 0, :2] = 255
    return logits, label


def _attach(loss, d, active=True):
    loss.cegu = CEGUContext(d)
    loss.cegu.active = active
    return loss


def test_pixel_weights_by_hand():
    u = torch.tensor([[[0.2, 0.6], [1.0, 0.9]]])
    valid = torch.tensor([[[True, True], [True, False]]])
    w = cegu_pixel_weights(u, valid, 'linear', 1.0)
    torch.testing.assert_close(w, torch.tensor([[[1 / 3, 1.0], [5 / 3, 0.0]]]))
    w = cegu_pixel_weights(u, valid, 'linear', 0.5)
    torch.testing.assert_close(w, torch.tensor([[[2 / 3, 1.0], [4 / 3, 0.0]]]))
    w = cegu_pixel_weights(u, valid, 'power', 1.0, gamma=2.0)
    m = (0.04 + 0.36 + 1.0) / 3
    torch.testing.assert_close(w, torch.tensor([[[0.04 / m, 0.36 / m], [1.0 / m, 0.0]]]))
    assert w[valid].mean().item() == pytest.approx(1.0)


@pytest.mark.parametrize('avg_non_ignore', [False, True])
@pytest.mark.parametrize('weighting', ['linear', 'power', 'exp'])
@pytest.mark.parametrize('cw', [None, [1.0, 2.0, 0.5, 1.0]])
def test_uniform_uncertainty_is_plain_cross_entropy(avg_non_ignore, weighting, cw):
    logits, label = _data()
    if cw is not None:  # mmseg's CE crashes on class weights + ignored pixels
        label[label == 255] = 1
    ref = CrossEntropyLoss(class_weight=cw, avg_non_ignore=avg_non_ignore, loss_weight=0.7)
    loss = _attach(CEGULoss(weighting=weighting, class_weight=cw,
                            avg_non_ignore=avg_non_ignore, loss_weight=0.7),
                   ConstD(torch.tensor(0.3)))
    torch.testing.assert_close(loss(logits, label, ignore_index=255),
                               ref(logits, label, ignore_index=255))


@pytest.mark.parametrize('avg_non_ignore', [False, True])
def test_class_weights_with_ignored_pixels_follow_the_documented_average(avg_non_ignore):
    logits, label = _data()
    cw = torch.tensor([1.0, 2.0, 0.5, 1.0])
    loss = _attach(CEGULoss(class_weight=cw.tolist(), avg_non_ignore=avg_non_ignore),
                   ConstD(torch.tensor(0.0)))
    valid = label != 255
    ce = nn.functional.cross_entropy(logits, label, weight=cw, reduction='none',
                                     ignore_index=255)
    denom = (cw[label.clamp(0, 3)] * valid).sum() + (0 if avg_non_ignore else (~valid).sum())
    torch.testing.assert_close(loss(logits, label), ce.sum() / denom)
    if avg_non_ignore:  # then it is exactly PyTorch's weighted mean
        torch.testing.assert_close(loss(logits, label), nn.functional.cross_entropy(
            logits, label, weight=cw, ignore_index=255))


def test_ignored_pixels_get_no_weight_and_no_influence():
    logits, label = _data()
    d_logits = torch.randn(1, 1, 3, 5)
    loss = _attach(CEGULoss(), ConstD(d_logits))
    base = loss(logits, label, ignore_index=255)
    changed = logits.clone()
    changed[0, :, 0, :2] = 100.0  # only ignored pixels change
    torch.testing.assert_close(loss(changed, label, ignore_index=255), base)


def test_uncertain_pixels_weigh_more_by_the_documented_formula():
    logits, label = _data(n=1)
    label[:] = 0
    d_logits = torch.zeros(1, 1, 3, 5)
    d_logits[..., 0] = -3.0  # column 0: D says "fake" -> high uncertainty
    loss = _attach(CEGULoss(strength=1.0), ConstD(d_logits))
    ce = nn.functional.cross_entropy(logits, label, reduction='none')
    u = 1 - torch.sigmoid(d_logits[:, 0])
    expected = (ce * u / u.mean()).mean()
    torch.testing.assert_close(loss(logits, label), expected)
    assert loss(logits, label) != nn.functional.cross_entropy(logits, label)


def test_plain_ce_during_warmup_and_cache_for_discriminator():
    logits, label = _data()
    loss = _attach(CEGULoss(), ConstD(torch.randn(1, 1, 3, 5)), active=False)
    torch.testing.assert_close(loss(logits, label, ignore_index=255),
                               CrossEntropyLoss()(logits, label, ignore_index=255))
    cached_logits, cached_label, ignore = loss.cegu.cache
    assert torch.equal(cached_logits, logits) and ignore == 255
    loss(logits * 2, label)  # second call (auxiliary head) does not overwrite
    assert torch.equal(loss.cegu.cache[0], logits)


def test_no_gradient_through_weights():
    logits, label = _data()
    logits.requires_grad_(True)
    d = ConstD(torch.randn(1, 1, 3, 5))
    loss = _attach(CEGULoss(), d)
    loss(logits, label).backward()
    assert d.w.grad is None
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_adversarial_term():
    logits, label = _data()
    logits.requires_grad_(True)
    d = ConstD(torch.tensor(0.0)).requires_grad_(False)
    adv = _attach(CEGUAdversarialLoss(loss_weight=0.1), d, active=False)
    assert adv(logits, label).item() == 0.0
    adv.cegu.active = True
    out = adv(logits, label)
    assert out.item() == pytest.approx(0.1 * torch.log(torch.tensor(2.0)).item())
    assert adv.loss_name == 'loss_adv'


def test_bad_inputs():
    logits, label = _data()
    loss = _attach(CEGULoss(), ConstD(torch.tensor(float('nan'))))
    with pytest.raises(ValueError, match=r'got \(2, 4, 3, 5\) and \(2, 3, 4\)'):
        loss(logits, label[:, :, :4])
    with pytest.raises(FloatingPointError, match='not finite'):
        loss(logits, label)
    with pytest.raises(ValueError, match="got 'cubic'"):
        CEGULoss(weighting='cubic')
    with pytest.raises(ValueError, match='got 1.5'):
        CEGULoss(strength=1.5)
