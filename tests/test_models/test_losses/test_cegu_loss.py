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
        self.seen = []

    def forward(self, x):
        self.seen.append(x)
        out = self.logits.expand(x.shape[0], 1, *x.shape[2:]) if self.logits.dim() == 4 \
            else torch.full((x.shape[0], 1, *x.shape[2:]), float(self.logits))
        return out * self.w


def _data(seed=0, n=2, c=4, h=3, w=5):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, h, w, generator=g)
    label = torch.randint(0, c, (n, h, w), generator=g)
    label[0, 0, :2] = 255
    return logits, label


def _attach(loss, d, active=True, encoding='onehot', num_classes=4):
    loss.cegu = CEGUContext(d, num_classes, encoding=encoding)
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
    w = loss.cegu.cache['weights']  # kept for the hook's statistics and pictures
    assert (w[..., 0] > 1).all() and (w[..., 1:] < 1).all()


def test_plain_ce_during_warmup_and_cache_for_discriminator():
    logits, label = _data()
    loss = _attach(CEGULoss(), ConstD(torch.randn(1, 1, 3, 5)), active=False)
    torch.testing.assert_close(loss(logits, label, ignore_index=255),
                               CrossEntropyLoss()(logits, label, ignore_index=255))
    cache = loss.cegu.cache
    assert torch.equal(cache['logits'], logits) and cache['ignore_index'] == 255
    assert cache['weights'] is None  # warm-up: nothing weighted
    loss(logits * 2, label)  # second call (auxiliary head) does not overwrite
    assert torch.equal(loss.cegu.cache['logits'], logits)


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


def test_adversarial_gradient_pushes_towards_real():
    """A D that finds class 1 real: descending the term raises class 1's logit."""
    logits, label = _data()
    label[:] = 0
    logits.requires_grad_(True)

    class LikesClass1(nn.Module):
        def forward(self, x):
            return 4 * x[:, 1:2] - 2

    adv = _attach(CEGUAdversarialLoss(loss_weight=1.0), LikesClass1(), encoding='softmax')
    adv(logits, label).backward()
    assert (logits.grad[:, 1] < 0).all()  # gradient descent increases the class-1 logit


def test_onehot_encoding_leaves_no_softness_to_judge():
    """A correct prediction encodes exactly like its ground truth (softmax does not)."""
    logits, label = _data()
    label[label == 255] = 0
    right = nn.functional.one_hot(label, 4).permute(0, 3, 1, 2).float() * 3.0
    valid = torch.ones_like(label, dtype=torch.bool)
    onehot = CEGUContext(nn.Identity(), 4, encoding='onehot')
    assert torch.equal(onehot.encode_prediction(right, valid), onehot.encode_label(label, valid))
    soft = CEGUContext(nn.Identity(), 4, encoding='softmax')
    assert not torch.equal(soft.encode_prediction(right, valid), soft.encode_label(label, valid))
    sharp = CEGUContext(nn.Identity(), 4, encoding='sharpened', temperature=0.1)
    gap = (sharp.encode_prediction(right, valid) - sharp.encode_label(label, valid)).abs()
    assert gap.max() < 1e-6 < (soft.encode_prediction(right, valid)
                               - soft.encode_label(label, valid)).abs().max()


def test_onehot_encoding_is_straight_through():
    """Forward: the one-hot of the argmax; backward: the softmax's gradient."""
    logits, _ = _data()
    valid = torch.ones(2, 3, 5, dtype=torch.bool)
    ctx = CEGUContext(nn.Identity(), 4, encoding='onehot')
    probe = torch.randn(2, 4, 3, 5)
    x = logits.clone().requires_grad_(True)
    enc = ctx.encode_prediction(x, valid, grad=True)
    assert torch.equal(enc.detach(), nn.functional.one_hot(logits.argmax(1), 4)
                       .permute(0, 3, 1, 2).float())
    (enc * probe).sum().backward()
    y = logits.clone().requires_grad_(True)
    (y.softmax(1) * probe).sum().backward()
    torch.testing.assert_close(x.grad, y.grad)
    assert not ctx.encode_prediction(logits, valid).requires_grad  # weighting pass


def test_non_finite_discriminator_output_counts_as_uncertain():
    logits, label = _data()
    loss = _attach(CEGULoss(), ConstD(torch.tensor(float('nan'))))
    out = loss(logits, label, ignore_index=255)  # uniform u: plain CE, not NaN
    torch.testing.assert_close(out, CrossEntropyLoss()(logits, label, ignore_index=255))


def test_bad_inputs():
    logits, label = _data()
    loss = _attach(CEGULoss(), ConstD(torch.tensor(0.0)))
    with pytest.raises(ValueError, match=r'got \(2, 4, 3, 5\) and \(2, 3, 4\)'):
        loss(logits, label[:, :, :4])
    with pytest.raises(ValueError, match="got 'cubic'"):
        CEGULoss(weighting='cubic')
    with pytest.raises(ValueError, match='got 1.5'):
        CEGULoss(strength=1.5)
    with pytest.raises(ValueError, match="got 'argmax'"):
        CEGUContext(nn.Identity(), 4, encoding='argmax')
    with pytest.raises(ValueError, match='got 0'):
        CEGUContext(nn.Identity(), 4, encoding='sharpened', temperature=0)
