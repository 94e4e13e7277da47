"""UDAEncoderDecoder: stock-compatible checkpoints, arguments, teacher prediction."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
init_default_scope('mmseg')


def _model_cfg(**kw):
    cfg = Config.fromfile(osp.join(REPO, 'configs/demo/deeplabv3_r18_uda_demo.py')).model
    cfg.update(kw)
    return cfg


def test_without_teacher_the_state_dict_is_a_stock_encoder_decoder():
    stock = Config.fromfile(osp.join(REPO, 'configs/demo/deeplabv3_r18_demo.py')).model
    uda = MODELS.build(_model_cfg())
    assert set(uda.state_dict()) == set(MODELS.build(stock).state_dict())


def test_ema_teacher_adds_only_its_own_keys_and_predicts_when_asked():
    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(teacher_ema_decay=0.99, predict_on='teacher'))
    extra = {k for k in model.state_dict() if k.startswith('ema_teacher.')}
    assert extra and all(k.startswith('ema_teacher.') for k in
                         set(model.state_dict()) - set(MODELS.build(_model_cfg()).state_dict()))
    model.init_weights()
    model.eval()
    with torch.no_grad():  # a teacher different from the student
        model.ema_teacher.module.decode_head.conv_seg.bias.add_(torch.arange(19.0))
    x = torch.rand(1, 3, 64, 128)
    sample = SegDataSample(metainfo=dict(img_shape=(64, 128), ori_shape=(64, 128)))
    with torch.no_grad():
        by_teacher = model.predict(x, [sample])[0].seg_logits.data
        by_copy = model.ema_teacher.module.predict(x, [sample])[0].seg_logits.data
        model.predict_on = 'student'
        by_student = model.predict(x, [sample])[0].seg_logits.data
    assert torch.isfinite(by_teacher).all()
    assert torch.equal(by_teacher, by_copy)
    assert not torch.equal(by_teacher, by_student)


@pytest.mark.parametrize('kw', [
    dict(consistency_weight=-1), dict(confidence_threshold=1.0), dict(tsa_schedule='cos'),
    dict(predict_on='ema'), dict(predict_on='teacher'), dict(teacher_ema_decay=1.0),
    dict(temperature=0)])
def test_bad_arguments_name_the_value(kw):
    with pytest.raises(ValueError, match=list(kw)[0].split('_')[0]):
        MODELS.build(_model_cfg(**kw))


def test_views_of_different_shape_are_refused():
    model = MODELS.build(_model_cfg())
    s = SegDataSample(metainfo=dict(img_shape=(32, 32), padding_size=[0, 0, 0, 0]))
    with pytest.raises(ValueError, match='share geometry'):
        model._unsup_loss(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 48), [s])


def test_padding_is_excluded_from_the_consistency():
    s = SegDataSample(metainfo=dict(padding_size=[0, 3, 0, 2]))
    from ganseg_mm.models import UDAEncoderDecoder
    mask = UDAEncoderDecoder._valid_mask([s], torch.zeros(1, 3, 8, 10))
    assert mask.sum() == 6 * 7 and not mask[0, 6:].any() and not mask[0, :, 7:].any()
