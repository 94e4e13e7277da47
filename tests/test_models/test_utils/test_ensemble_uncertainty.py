"""Majority vote, Jensen-Shannon uncertainty and the image filter."""
import math

import pytest
import torch

from ganseg_mm.models.utils.ensemble_uncertainty import (image_score, js_uncertainty,
                                                         keep_mask, majority_vote)


def test_js_zero_when_members_agree_and_log2_when_split():
    p = torch.tensor([[0.7, 0.2, 0.1]]).expand(4, 1, 3)
    assert js_uncertainty(p).item() == pytest.approx(0.0, abs=1e-6)
    one_hot = torch.tensor([[[1., 0.]], [[0., 1.]]])  # 2 members, 1 pixel, 2 classes
    assert js_uncertainty(one_hot).item() == pytest.approx(math.log(2), abs=1e-5)


def test_js_formula():
    p = torch.tensor([[[0.5, 0.5]], [[0.9, 0.1]]])
    h = lambda q: -(q * q.log()).sum()  # noqa: E731
    expected = h(p.mean(0)[0]) - (h(p[0, 0]) + h(p[1, 0])) / 2
    assert js_uncertainty(p).item() == pytest.approx(expected.item(), abs=1e-6)


def test_majority_vote_and_ties():
    # pixel 0: votes 2 x class 1, 1 x class 0; pixel 1: 1 x class 0, 1 x class 2, 1 x 1
    p = torch.tensor([[[0.1, 0.9, 0.0], [0.9, 0.05, 0.05]],
                      [[0.2, 0.8, 0.0], [0.0, 0.1, 0.9]],
                      [[0.9, 0.1, 0.0], [0.0, 0.9, 0.1]]])
    assert majority_vote(p).tolist() == [1, 0]


def test_image_score_is_mean_of_top_tenth():
    js = torch.arange(20, dtype=torch.float32)  # top 10% = 19, 18
    assert image_score(js) == pytest.approx(18.5)
    assert image_score(js, 0.25) == pytest.approx((19 + 18 + 17 + 16 + 15) / 5)
    with pytest.raises(ValueError, match='top_fraction'):
        image_score(js, 0)


def test_keep_mask_drops_most_uncertain():
    scores = [0.1, 0.9, 0.5, 0.9, 0.2, 0.3, 0.4, 0.0, 0.6, 0.7]
    assert keep_mask(scores, 0.2) == [True, False, True, False] + [True] * 6
    assert keep_mask(scores, 0.0) == [True] * 10
    with pytest.raises(ValueError, match='drop_fraction'):
        keep_mask(scores, 1.0)
