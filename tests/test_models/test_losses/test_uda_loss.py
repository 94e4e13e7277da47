"""UDA's consistency loss and training signal annealing."""
import math

import pytest
import torch

from ganseg_mm.models.losses import tsa_mask_labels, tsa_threshold, uda_consistency_loss


def _logits(seed, shape=(2, 5, 6, 7), scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g) * scale


def test_identical_views_without_sharpening_give_zero():
    t = _logits(0)
    loss, _ = uda_consistency_loss(t.clone(), t, temperature=1.0, threshold=0.0)
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_sharpening_pulls_an_identical_view_towards_the_sharpened_target():
    t = _logits(0)
    loss, _ = uda_consistency_loss(t.clone(), t, temperature=0.4, threshold=0.0)
    assert loss.item() > 1e-3  # the entropy-minimizing part of UDA
    sharp = t / 0.4
    loss_sharp, _ = uda_consistency_loss(sharp, t, temperature=0.4, threshold=0.0)
    assert loss_sharp.item() == pytest.approx(0.0, abs=1e-6)


def test_masked_pixels_contribute_nothing():
    t, s = _logits(0), _logits(1)
    conf = t.softmax(1).amax(1) > 0.8
    assert conf.any() and (~conf).any()
    loss, ratio = uda_consistency_loss(s, t, threshold=0.8)
    s2 = s.clone()
    s2.permute(0, 2, 3, 1)[~conf] = torch.randn(int((~conf).sum()), 5) * 10
    loss2, _ = uda_consistency_loss(s2, t, threshold=0.8)
    assert loss2.item() == pytest.approx(loss.item(), rel=1e-6)
    assert ratio.item() == pytest.approx(conf.float().mean().item())
    # a confident pixel does count
    s3 = s.clone()
    s3.permute(0, 2, 3, 1)[conf] += torch.randn(int(conf.sum()), 5) * 10
    assert uda_consistency_loss(s3, t, threshold=0.8)[0].item() != pytest.approx(loss.item())


def test_padding_is_masked_and_reductions_differ_by_the_mask_ratio():
    t, s = _logits(0), _logits(1)
    valid = torch.ones(2, 6, 7, dtype=torch.bool)
    valid[:, :, 5:] = False
    loss, ratio = uda_consistency_loss(s, t, threshold=0.5, valid_mask=valid)
    s2 = s.clone()
    s2[..., 5:] = 100.0  # padding: anything
    assert uda_consistency_loss(s2, t, threshold=0.5, valid_mask=valid)[0].item() == \
        pytest.approx(loss.item(), rel=1e-6)
    masked, _ = uda_consistency_loss(s, t, threshold=0.5, valid_mask=valid,
                                     reduction='masked_mean')
    assert masked.item() * ratio.item() == pytest.approx(loss.item(), rel=1e-5)


def test_gradient_flows_to_the_student_only():
    t = _logits(0).requires_grad_()
    s = _logits(1).requires_grad_()
    loss, _ = uda_consistency_loss(s, t, threshold=0.0)
    loss.backward()
    assert t.grad is None and s.grad.abs().sum() > 0


@pytest.mark.parametrize('kwargs', [dict(temperature=0.0), dict(reduction='sum')])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        uda_consistency_loss(_logits(0), _logits(1), **kwargs)


def test_views_of_different_shape_are_refused():
    with pytest.raises(ValueError, match='same'):
        uda_consistency_loss(_logits(0), _logits(1, shape=(2, 5, 6, 8)))


@pytest.mark.parametrize('schedule,mid', [
    ('linear', 0.5), ('log', 1 - math.exp(-2.5)), ('exp', math.exp(-2.5))])
def test_tsa_threshold_follows_the_schedule(schedule, mid):
    k = 19
    assert tsa_threshold(schedule, 0.0, k) == pytest.approx(
        {'linear': 0, 'log': 0, 'exp': math.exp(-5)}[schedule] * (1 - 1 / k) + 1 / k)
    assert tsa_threshold(schedule, 0.5, k) == pytest.approx(mid * (1 - 1 / k) + 1 / k)
    end = {'linear': 1, 'log': 1 - math.exp(-5), 'exp': 1}[schedule]
    assert tsa_threshold(schedule, 1.0, k) == pytest.approx(end * (1 - 1 / k) + 1 / k)
    values = [tsa_threshold(schedule, p / 10, k) for p in range(11)]
    assert values == sorted(values)


def test_tsa_threshold_bad_schedule():
    with pytest.raises(ValueError, match='cosine'):
        tsa_threshold('cosine', 0.5, 19)


def test_tsa_masks_confident_true_class_pixels_and_keeps_ignore():
    logits = torch.zeros(1, 3, 1, 4)
    logits[0, 0, 0, 0] = 10  # confident, correct -> dropped
    logits[0, 1, 0, 1] = 10  # confident, wrong -> kept
    label = torch.tensor([[[0, 0, 2, 255]]])
    out, kept = tsa_mask_labels(logits, label, threshold=0.9)
    assert out.tolist() == [[[255, 0, 2, 255]]]
    assert kept.item() == pytest.approx(2 / 3)


def test_kl_direction_is_target_to_student():
    """KL(q || p_s), q the sharpened teacher (UDA's forward KL): the value by
    hand for both directions, and only the forward one matches."""
    s, t = _logits(1), _logits(2)
    q = (t / 0.4).softmax(1)
    p = s.softmax(1)
    forward = (q * (q.log() - p.log())).sum(1).mean()
    reverse = (p * (p.log() - q.log())).sum(1).mean()
    loss, _ = uda_consistency_loss(s, t, temperature=0.4, threshold=0.0)
    assert loss.item() == pytest.approx(forward.item(), rel=1e-5)
    assert abs(forward.item() - reverse.item()) > 0.1  # the swap would be seen


def test_confidence_mask_uses_the_unsharpened_teacher():
    """A pixel counts when max softmax(t) > threshold before sharpening: with
    temperature 0.4 every sharpened max would pass 0.5, the raw ones do not."""
    t = torch.zeros(1, 3, 1, 2)
    t[0, 0, 0, 0] = 0.5   # raw max 0.45: masked; sharpened 0.58
    t[0, 0, 0, 1] = 2.0   # raw max 0.79: kept
    _, ratio = uda_consistency_loss(torch.zeros_like(t), t, temperature=0.4, threshold=0.5)
    assert ratio.item() == pytest.approx(0.5)
