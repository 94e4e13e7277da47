"""UDA: semi-supervised consistency training for an mmseg EncoderDecoder.

A UDA config changes only the model's ``type`` (and its data preprocessor's)
and adds the UDA keys; backbone, heads and losses stay mmseg's. The objective
(see :mod:`ganseg_mm.models.losses.uda_loss`) is::

    loss = supervised loss (with TSA) + lambda * ramp(iter) * consistency loss

computed by :meth:`UDAEncoderDecoder.loss` from the batch that
``UDAIterBasedTrainLoop`` draws (labeled + unlabeled weak/strong views, put
together by ``UDASegDataPreProcessor``). Everything runs inside ``loss()``, so
mmengine's DDP wrapper trains it unchanged. Log keys: ``sup.decode.loss_ce``
(and the other supervised terms), ``sup.tsa_threshold``, ``sup.tsa_kept``,
``unsup.loss_consistency`` (already multiplied by lambda and the ramp),
``unsup.mask_ratio``; only keys containing ``loss`` enter the objective.

Without ``teacher_ema_decay`` the model itself, under ``no_grad``, predicts on
the weak view (as in UDA), and the checkpoint is a stock EncoderDecoder
checkpoint. With it, an EMA copy (``ema_teacher``, kept in the checkpoint so
``--resume`` continues exactly) predicts, in eval mode; ``UDATeacherHook``
updates it after every step (mmdet's mean-teacher pattern).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import torch
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import add_prefix

from ganseg_mm.utils.errors import ConfigError

from ..losses.uda_loss import TSA_SCHEDULES, tsa_mask_labels, tsa_threshold, \
    uda_consistency_loss
from ..utils.cutmix import cutmix, cutmix_boxes

PREDICT_ON = ('student', 'teacher')
STUDENT_FORWARDS = ('joint', 'separate')


@MODELS.register_module()
class UDAEncoderDecoder(EncoderDecoder):
    """EncoderDecoder trained with UDA's consistency objective.

    Args:
        consistency_weight (float): lambda, the weight of the consistency loss.
            Defaults to 1.0.
        temperature (float): sharpening temperature of the teacher's target.
            Defaults to 0.4 (UDA's default).
        confidence_threshold (float): teacher confidence below which an
            unlabeled pixel is masked out. Defaults to 0.8 (UDA's default).
        consistency_reduction (str): ``'mean'`` (over all valid unlabeled
            pixels, as UDA) or ``'masked_mean'`` (over confident ones).
            Defaults to ``'mean'``.
        tsa_schedule (str, optional): ``'linear'``, ``'log'``, ``'exp'`` or
            None (no TSA). With TSA the heads' losses average over the kept
            labeled pixels (``avg_non_ignore`` is set), as UDA does.
            Defaults to None.
        rampup_iters (int): the consistency weight grows linearly from 0 over
            these many iterations. Defaults to 0.
        teacher_ema_decay (float, optional): use an EMA teacher with this decay
            (e.g. 0.99), updated by ``UDATeacherHook`` (add it to
            ``custom_hooks``); None predicts with the model itself.
            Defaults to None.
        predict_on (str): ``'student'`` or ``'teacher'`` (needs the EMA
            teacher) for validation/testing. Defaults to ``'student'``.
        student_forward (str): ``'joint'`` runs the student once on the
            labeled batch and the strong views concatenated (one backbone and
            head call, batch-norm statistics over both, as FixMatch/UniMatch
            do); ``'separate'`` runs two passes. ``'joint'`` falls back to two
            passes when the labeled and unlabeled inputs differ in size.
            Defaults to ``'joint'``.
        cutmix_prob (float): probability that a strong view gets a box of the
            next unlabeled image's strong view pasted in, with the teacher's
            target (and valid mask) in the box taken from that image, as
            UniMatch does (0.5 there); 0 turns CutMix off. Defaults to 0.
        **kwargs: mmseg's EncoderDecoder keys (backbone, decode_head, ...).
    """

    def __init__(self,
                 consistency_weight: float = 1.0,
                 temperature: float = 0.4,
                 confidence_threshold: float = 0.8,
                 consistency_reduction: str = 'mean',
                 tsa_schedule: Optional[str] = None,
                 rampup_iters: int = 0,
                 teacher_ema_decay: Optional[float] = None,
                 predict_on: str = 'student',
                 student_forward: str = 'joint',
                 cutmix_prob: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if consistency_weight < 0:
            raise ConfigError(f'consistency_weight must be >= 0, got {consistency_weight}')
        if not 0 <= confidence_threshold < 1:
            raise ConfigError(f'confidence_threshold must be in [0, 1), got '
                              f'{confidence_threshold}')
        if tsa_schedule is not None and tsa_schedule not in TSA_SCHEDULES:
            raise ConfigError(f'tsa_schedule must be one of {TSA_SCHEDULES} or None, got '
                              f'{tsa_schedule!r}')
        if predict_on not in PREDICT_ON:
            raise ConfigError(f'predict_on must be one of {PREDICT_ON}, got {predict_on!r}')
        if student_forward not in STUDENT_FORWARDS:
            raise ConfigError(f'student_forward must be one of {STUDENT_FORWARDS}, got '
                              f'{student_forward!r}')
        if predict_on == 'teacher' and teacher_ema_decay is None:
            raise ConfigError("predict_on='teacher' needs teacher_ema_decay")
        if teacher_ema_decay is not None and not 0 < teacher_ema_decay < 1:
            raise ConfigError(f'teacher_ema_decay must be in (0, 1), got {teacher_ema_decay}')
        if temperature <= 0:
            raise ConfigError(f'temperature must be > 0, got {temperature}')
        if not 0 <= cutmix_prob <= 1:
            raise ConfigError(f'cutmix_prob must be in [0, 1], got {cutmix_prob}')
        self.cutmix_prob = cutmix_prob
        self.consistency_weight = consistency_weight
        self.temperature = temperature
        self.confidence_threshold = confidence_threshold
        self.consistency_reduction = consistency_reduction
        self.tsa_schedule = tsa_schedule
        if tsa_schedule is not None:
            self._average_over_kept_pixels()
        self.rampup_iters = int(rampup_iters)
        self.predict_on = predict_on
        self.student_forward = student_forward
        if teacher_ema_decay is not None:
            # mmengine's momentum is the weight of the new value
            teacher = ExponentialMovingAverage(
                self, momentum=1.0 - teacher_ema_decay, update_buffers=True)
            self.ema_teacher = teacher

    def _average_over_kept_pixels(self) -> None:
        """TSA turns confident labeled pixels into ``ignore_index``; UDA divides
        the supervised loss by the pixels it keeps (google-research/uda,
        ``tsa_loss``), which is mmseg's ``avg_non_ignore=True``. Without it
        the loss is divided by all pixels and shrinks with the kept share."""
        heads = [self.decode_head] + ([self.auxiliary_head] if self.with_auxiliary_head else [])
        for head in heads:
            for h in (head if isinstance(head, torch.nn.ModuleList) else [head]):
                losses = h.loss_decode
                for loss in (losses if isinstance(losses, torch.nn.ModuleList) else [losses]):
                    if not hasattr(loss, 'avg_non_ignore'):
                        raise ConfigError(
                            f'tsa_schedule: {type(loss).__name__} has no avg_non_ignore, so '
                            'it cannot average over the pixels TSA keeps; use a loss that '
                            'has it (mmseg CrossEntropyLoss, CEGULoss) or tsa_schedule=None')
                    loss.avg_non_ignore = True

    # -- progress -------------------------------------------------------------
    @staticmethod
    def _progress() -> tuple:
        hub = MessageHub.get_current_instance()
        it, max_iters = hub.get_info('iter', 0), hub.get_info('max_iters', None)
        return int(it or 0), max_iters

    def _ramp(self, it: int) -> float:
        return 1.0 if self.rampup_iters <= 0 else min(1.0, it / self.rampup_iters)

    # -- losses ---------------------------------------------------------------
    def loss(self, inputs, data_samples) -> dict:
        """Supervised (+ consistency when ``inputs`` holds unlabeled views)."""
        if not isinstance(inputs, dict):
            return self._sup_loss(inputs, data_samples)
        if 'weak' not in inputs:
            return self._sup_loss(inputs['sup'], data_samples['sup'])
        sup, weak, strong = inputs['sup'], inputs['weak'], inputs['strong']
        if weak.shape != strong.shape:
            raise ConfigError(f'weak and strong views differ in shape: {tuple(weak.shape)} vs '
                              f'{tuple(strong.shape)}; both views must share geometry')
        boxes = None
        if self.cutmix_prob > 0:
            n, _, h, w = strong.shape
            boxes = cutmix_boxes(n, h, w, self.cutmix_prob)
            strong = cutmix(strong, boxes)
        if self.student_forward == 'joint' and sup.shape[1:] == strong.shape[1:]:
            n = sup.shape[0]
            x = self.extract_feat(torch.cat([sup, strong]))
            seg_logits = self.decode_head.forward(x)
            losses = self._sup_loss(sup, data_samples['sup'],
                                    x=[f[:n] for f in x], seg_logits=seg_logits[:n])
            s_logits = resize(seg_logits[n:], size=strong.shape[2:], mode='bilinear',
                              align_corners=self.align_corners)
        else:
            losses = self._sup_loss(sup, data_samples['sup'])
            s_logits = self._logits(self, strong)
        losses.update(self._unsup_loss(weak, s_logits, data_samples['unsup'], boxes))
        return losses

    def _logits(self, model: EncoderDecoder, inputs: torch.Tensor) -> torch.Tensor:
        logits = model.decode_head.forward(model.extract_feat(inputs))
        return resize(logits, size=inputs.shape[2:], mode='bilinear',
                      align_corners=model.align_corners)

    def _sup_loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample],
                  x: Optional[List[torch.Tensor]] = None,
                  seg_logits: Optional[torch.Tensor] = None) -> dict:
        """Supervised losses; ``x``/``seg_logits`` when the joint pass made them."""
        if x is None:
            x = self.extract_feat(inputs)
        if seg_logits is None:
            seg_logits = self.decode_head.forward(x)
        losses = {}
        if self.tsa_schedule is not None:
            it, max_iters = self._progress()
            if not max_iters:
                raise RuntimeError('TSA needs the training length: run under a Runner '
                                   "(MessageHub info 'max_iters')")
            eta = tsa_threshold(self.tsa_schedule, it / max_iters, self.num_classes)
            label = torch.stack([s.gt_sem_seg.data.squeeze(0) for s in data_samples])
            up = resize(seg_logits.detach(), size=label.shape[1:], mode='bilinear',
                        align_corners=self.align_corners)
            masked, kept = tsa_mask_labels(up, label, eta, self.decode_head.ignore_index)
            data_samples = [self._with_label(s, m) for s, m in zip(data_samples, masked)]
            losses['tsa_threshold'] = label.new_tensor(eta, dtype=torch.float)
            losses['tsa_kept'] = kept
        # what mmseg's decode_head.loss does after its forward
        losses.update(add_prefix(self.decode_head.loss_by_feat(seg_logits, data_samples),
                                 'decode'))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return add_prefix(losses, 'sup')

    @staticmethod
    def _with_label(sample: SegDataSample, label: torch.Tensor) -> SegDataSample:
        out = SegDataSample(metainfo=sample.metainfo)
        out.gt_sem_seg = PixelData(data=label.unsqueeze(0))
        return out

    def _unsup_loss(self, weak: torch.Tensor, s_logits: torch.Tensor,
                    data_samples: List[SegDataSample],
                    boxes: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Consistency of the student's strong-view logits with the teacher on
        ``weak``; in CutMix ``boxes`` the target is the next image's."""
        it, _ = self._progress()
        weight = self.consistency_weight * self._ramp(it)
        teacher = self._teacher()
        with torch.no_grad():
            was_training = teacher.training
            if teacher is not self:
                teacher.eval()
            t_logits = self._logits(teacher, weak)
            teacher.train(was_training)
        valid = self._valid_mask(data_samples, weak)
        if boxes is not None:
            t_logits, valid = cutmix(t_logits, boxes), cutmix(valid, boxes)
        loss, ratio = uda_consistency_loss(
            s_logits, t_logits, self.temperature, self.confidence_threshold,
            valid_mask=valid, reduction=self.consistency_reduction)
        return add_prefix(dict(loss_consistency=loss * weight, mask_ratio=ratio), 'unsup')

    def _teacher(self) -> EncoderDecoder:
        ema = getattr(self, 'ema_teacher', None)
        if ema is None:
            return self
        if self.training and int(ema.steps) == 0:
            raise ConfigError("teacher_ema_decay needs custom_hooks=[..., "
                              "dict(type='UDATeacherHook')] to update the teacher")
        return ema.module

    def update_teacher(self) -> None:
        """One EMA step of the teacher towards the current weights (the first
        one copies them); called by ``UDATeacherHook`` after each step."""
        self.ema_teacher.update_parameters(self)

    @staticmethod
    def _valid_mask(data_samples: List[SegDataSample], inputs: torch.Tensor) -> torch.Tensor:
        """False on the padding the data preprocessor added and where the strong
        view was erased (``strong_visible`` from StrongView)."""
        n, _, h, w = inputs.shape
        mask = inputs.new_zeros((n, h, w), dtype=torch.bool)
        for i, s in enumerate(data_samples):
            left, right, top, bottom = s.metainfo.get('padding_size', (0, 0, 0, 0))
            visible = s.get('strong_visible')
            mask[i, top:h - bottom, left:w - right] = \
                True if visible is None else visible.data[0].to(mask.device, torch.bool)
        return mask

    # -- inference ------------------------------------------------------------
    def predict(self, inputs, data_samples=None):
        ema = getattr(self, 'ema_teacher', None)
        if self.predict_on == 'teacher' and ema is not None:
            return ema.module.predict(inputs, data_samples)
        return super().predict(inputs, data_samples)
