"""UDAEncoderDecoder: stock-compatible checkpoints, arguments, teacher prediction."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.structures import PixelData
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
init_default_scope('mmseg')


def _model_cfg(**kw):
    cfg = Config.fromfile(osp.join(REPO, 'configs/uda/deeplabv3_r18_uda_demo.py')).model
    cfg.update(kw)
    return cfg


def test_without_teacher_the_state_dict_is_a_stock_encoder_decoder():
    stock = Config.fromfile(osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')).model
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
    dict(temperature=0), dict(student_forward='merged')])
def test_bad_arguments_name_the_value(kw):
    with pytest.raises(ValueError, match=list(kw)[0].split('_')[0]):
        MODELS.build(_model_cfg(**kw))


def _uda_batch(sup_hw=(32, 48), unsup_hw=(32, 48), strong_hw=None, n_sup=2, n_unsup=2):
    """Inputs and samples as UDASegDataPreProcessor hands them to ``loss``."""
    g = torch.Generator().manual_seed(0)
    sup = torch.randn(n_sup, 3, *sup_hw, generator=g)
    weak = torch.randn(n_unsup, 3, *unsup_hw, generator=g)
    strong = torch.randn(n_unsup, 3, *(strong_hw or unsup_hw), generator=g)
    sup_samples = []
    for _ in range(n_sup):
        s = SegDataSample(metainfo=dict(img_shape=sup_hw, padding_size=[0, 0, 0, 0]))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 19, (1, *sup_hw), generator=g))
        sup_samples.append(s)
    unsup_samples = [SegDataSample(metainfo=dict(img_shape=unsup_hw,
                                                 padding_size=[0, 0, 0, 0]))
                     for _ in range(n_unsup)]
    return (dict(sup=sup, weak=weak, strong=strong),
            dict(sup=sup_samples, unsup=unsup_samples))


def test_views_of_different_shape_are_refused():
    model = MODELS.build(_model_cfg())
    inputs, samples = _uda_batch(strong_hw=(32, 40))
    with pytest.raises(ValueError, match='share geometry'):
        model.loss(inputs, samples)


def _count_backbone_calls(model):
    calls = []
    model.backbone.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    return calls


@pytest.mark.parametrize('tsa', [None, 'linear'])
def test_joint_student_pass_equals_two_passes(tsa):
    """Batch norm in eval mode (no batch statistics, no dropout): the joint pass
    gives the same losses and gradients as separate passes, in one backbone call."""
    losses, grads, calls = {}, {}, {}
    for mode in ('joint', 'separate'):
        torch.manual_seed(0)  # the same initial weights for both
        model = MODELS.build(_model_cfg(student_forward=mode, tsa_schedule=tsa,
                                        confidence_threshold=0.0))
        model.eval()
        calls[mode] = _count_backbone_calls(model)
        inputs, samples = _uda_batch()
        hub = MessageHub.get_current_instance()
        hub.update_info('iter', 5)
        hub.update_info('max_iters', 10)
        out = model.loss(inputs, samples)
        total = sum(v for k, v in out.items() if 'loss' in k)
        total.backward()
        losses[mode] = {k: v.detach() for k, v in out.items()}
        grads[mode] = model.decode_head.conv_seg.weight.grad.clone()
    assert set(losses['joint']) == set(losses['separate'])
    assert 'unsup.loss_consistency' in losses['joint']
    for key, value in losses['joint'].items():
        assert torch.allclose(value, losses['separate'][key], rtol=1e-4, atol=1e-6), key
    assert torch.allclose(grads['joint'], grads['separate'], rtol=1e-4, atol=1e-7)
    # one student call on 2 labeled + 2 strong images, then the teacher on the weak views
    assert calls['joint'] == [4, 2]
    assert calls['separate'] == [2, 2, 2]


def test_joint_pass_falls_back_when_sizes_differ():
    model = MODELS.build(_model_cfg(student_forward='joint', confidence_threshold=0.0))
    calls = _count_backbone_calls(model)
    inputs, samples = _uda_batch(sup_hw=(32, 48), unsup_hw=(32, 64))
    out = model.loss(inputs, samples)
    assert calls == [2, 2, 2]
    assert torch.isfinite(out['unsup.loss_consistency'])


def test_padding_is_excluded_from_the_consistency():
    s = SegDataSample(metainfo=dict(padding_size=[0, 3, 0, 2]))
    from ganseg_mm.models import UDAEncoderDecoder
    mask = UDAEncoderDecoder._valid_mask([s], torch.zeros(1, 3, 8, 10))
    assert mask.sum() == 6 * 7 and not mask[0, 6:].any() and not mask[0, :, 7:].any()


def test_erased_pixels_are_excluded_from_the_consistency():
    s = SegDataSample(metainfo=dict(padding_size=[0, 3, 0, 2]))
    visible = torch.ones(1, 6, 7, dtype=torch.bool)
    visible[0, 1:3, 2:5] = False  # a cutout box
    s.strong_visible = PixelData(data=visible)
    from ganseg_mm.models import UDAEncoderDecoder
    mask = UDAEncoderDecoder._valid_mask([s], torch.zeros(1, 3, 8, 10))
    assert mask.sum() == 6 * 7 - 6 and not mask[0, 1:3, 2:5].any()
    assert not mask[0, 6:].any() and not mask[0, :, 7:].any()


def test_consistency_ignores_the_student_inside_the_cutout_box():
    """Whatever the student predicts on erased pixels, the loss and its
    gradient do not change; outside the box they do."""
    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(confidence_threshold=0.0, rampup_iters=0))
    model.eval()
    inputs, samples = _uda_batch()
    for smp in samples['unsup']:
        visible = torch.ones(1, 32, 48, dtype=torch.bool)
        visible[0, 8:16, 8:24] = False
        smp.strong_visible = PixelData(data=visible)
    weak = inputs['weak']
    s_logits = torch.randn(2, 19, 32, 48, requires_grad=True)
    loss = model._unsup_loss(weak, s_logits, samples['unsup'])['unsup.loss_consistency']
    loss.backward()
    grad = s_logits.grad
    assert grad[:, :, 8:16, 8:24].abs().sum() == 0
    assert grad[:, :, :8].abs().sum() > 0
    other = s_logits.detach().clone()
    other[:, :, 8:16, 8:24] = torch.randn(2, 19, 8, 16) * 10
    again = model._unsup_loss(weak, other, samples['unsup'])['unsup.loss_consistency']
    assert torch.allclose(loss.detach(), again)


def test_tsa_averages_the_supervised_loss_over_the_kept_pixels():
    """UDA's TSA loss: sum of CE over kept labeled pixels / their number."""
    import torch.nn.functional as F
    from mmseg.models.utils import resize
    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(tsa_schedule='linear'))
    model.eval()
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)  # eta = 1/K: roughly half the pixels are kept
    hub.update_info('max_iters', 10)
    inputs, samples = _uda_batch()
    out = model.loss(inputs['sup'], samples['sup'])
    with torch.no_grad():
        logits = resize(model.decode_head.forward(model.extract_feat(inputs['sup'])),
                        size=(32, 48), mode='bilinear', align_corners=model.align_corners)
        label = torch.stack([s.gt_sem_seg.data[0] for s in samples['sup']])
        ce = F.cross_entropy(logits, label, reduction='none')
        p_true = logits.softmax(1).gather(1, label[:, None])[:, 0]
        kept = p_true <= 1 / 19
    assert 0.2 < kept.float().mean() < 0.8
    assert torch.allclose(out['sup.tsa_kept'], kept.float().mean())
    assert torch.allclose(out['sup.decode.loss_ce'], ce[kept].sum() / kept.sum(), rtol=1e-4)
    assert not torch.allclose(out['sup.decode.loss_ce'], ce[kept].sum() / ce.numel(), rtol=0.1)


def test_tsa_refuses_a_loss_it_cannot_average_over_kept_pixels():
    from ganseg_mm.utils.errors import ConfigError
    cfg = _model_cfg(tsa_schedule='linear')
    cfg.decode_head.loss_decode = dict(type='DiceLoss')
    with pytest.raises(ConfigError, match='DiceLoss has no avg_non_ignore'):
        MODELS.build(cfg)


def test_ema_teacher_moves_one_minus_decay_towards_the_student():
    """teacher <- decay * teacher + (1 - decay) * student per update; a
    swapped momentum would move it 99 % of the way."""
    model = MODELS.build(_model_cfg(teacher_ema_decay=0.99))
    model.update_teacher()  # mmengine's first update copies the student
    before = model.ema_teacher.module.decode_head.conv_seg.weight.detach().clone()
    with torch.no_grad():
        model.decode_head.conv_seg.weight.add_(1.0)
    model.update_teacher()
    after = model.ema_teacher.module.decode_head.conv_seg.weight
    torch.testing.assert_close(after, before + 0.01, rtol=0, atol=1e-5)


def test_ema_teacher_without_its_hook_is_a_config_error():
    model = MODELS.build(_model_cfg(teacher_ema_decay=0.99, confidence_threshold=0.0))
    model.train()
    inputs, samples = _uda_batch()
    with pytest.raises(ValueError, match="UDATeacherHook"):
        model.loss(inputs, samples)
    model.update_teacher()
    assert torch.isfinite(model.loss(inputs, samples)['unsup.loss_consistency'])


@pytest.mark.parametrize('it,ramp', [(0, 0.0), (25, 0.25), (100, 1.0), (400, 1.0)])
def test_consistency_weight_ramps_up_linearly(it, ramp):
    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(confidence_threshold=0.0, rampup_iters=100,
                                    consistency_weight=2.0))
    model.eval()
    inputs, samples = _uda_batch()
    s_logits = torch.randn(2, 19, 32, 48)
    hub = MessageHub.get_current_instance()
    values = {}
    for i in (it, 10**6):
        hub.update_info('iter', i)
        values[i] = model._unsup_loss(inputs['weak'], s_logits,
                                      samples['unsup'])['unsup.loss_consistency']
    assert values[10**6] > 0
    torch.testing.assert_close(values[it], values[10**6] * ramp)


def test_cutmix_boxes_follow_unimatch():
    from ganseg_mm.models.utils.cutmix import cutmix_boxes
    g = torch.Generator().manual_seed(0)
    assert not cutmix_boxes(8, 32, 48, prob=0.0, generator=g).any()
    boxes = cutmix_boxes(200, 32, 48, prob=1.0, generator=g)
    area = boxes.flatten(1).float().mean(1)
    assert area.min() >= 0.015 and area.max() <= 0.42  # 2-40 %, up to rounding
    for b in boxes[:20]:  # one rectangle each
        rows, cols = b.any(1).nonzero(), b.any(0).nonzero()
        assert b.sum() == len(rows) * len(cols)
        assert rows.max() - rows.min() + 1 == len(rows)
    half = cutmix_boxes(400, 16, 16, prob=0.5, generator=g).flatten(1).any(1).float().mean()
    assert 0.4 < half < 0.6


def test_cutmix_pastes_the_next_images_view_and_its_teacher_target(monkeypatch):
    """With CutMix, the student sees the next unlabeled image's strong view in
    the box and is asked for the teacher's prediction on that image there
    (and that image's visible mask); outside the box nothing changes."""
    import ganseg_mm.models.segmentors.uda_encoder_decoder as uda
    torch.manual_seed(0)
    model = MODELS.build(_model_cfg(cutmix_prob=1.0))
    model.eval()
    inputs, samples = _uda_batch(n_unsup=3)
    box = torch.zeros(3, 32, 48, dtype=torch.bool)
    box[0, 4:12, 8:20] = True  # sample 0 gets a box of sample 1; 1 and 2 none
    monkeypatch.setattr(uda, 'cutmix_boxes', lambda n, h, w, prob: box.clone())
    visible = torch.ones(1, 32, 48, dtype=torch.bool)
    visible[0, 5:7, 9:11] = False  # erased in sample 1's strong view, inside the box
    samples['unsup'][1].strong_visible = PixelData(data=visible)
    seen, calls = {}, []
    real_extract = model.extract_feat
    monkeypatch.setattr(model, 'extract_feat', lambda x: calls.append(x) or real_extract(x))

    def spy(s_logits, t_logits, temperature, threshold, valid_mask, reduction):
        seen.update(t=t_logits, valid=valid_mask)
        return s_logits.sum() * 0, s_logits.new_tensor(1.0)
    monkeypatch.setattr(uda, 'uda_consistency_loss', spy)
    with torch.no_grad():
        model.loss(*[dict(d) for d in (inputs, samples)])
        teacher = model._logits(model, inputs['weak'])
    strong, student_in = inputs['strong'], calls[0][2:]  # the joint pass: sup, then strong
    assert torch.equal(student_in[0][:, box[0]], strong[1][:, box[0]])
    assert torch.equal(student_in[0][:, ~box[0]], strong[0][:, ~box[0]])
    assert torch.equal(student_in[1:], strong[1:])
    t = seen['t']
    assert torch.allclose(t[0][:, box[0]], teacher[1][:, box[0]])
    assert torch.allclose(t[0][:, ~box[0]], teacher[0][:, ~box[0]])
    assert torch.allclose(t[1:], teacher[1:])
    valid = seen['valid']
    assert not valid[0, 5:7, 9:11].any() and valid[0].sum() == 32 * 48 - 4
    assert not valid[1, 5:7, 9:11].any() and valid[2].all()


def test_cutmix_off_by_default_and_checked():
    cfg = _model_cfg()
    assert cfg.pop('cutmix_prob') == 0.5  # the configs' choice (docs/uda.md)
    assert MODELS.build(cfg).cutmix_prob == 0  # the class: UDA's single-view consistency
    with pytest.raises(ValueError, match='cutmix_prob'):
        MODELS.build(_model_cfg(cutmix_prob=1.5))
