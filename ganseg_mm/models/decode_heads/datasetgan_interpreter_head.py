"""DatasetGAN's style interpreter: an ensemble of per-pixel MLP classifiers.

Not an mmseg ``BaseDecodeHead``: its input is a batch of per-pixel feature
vectors ``(N, D)`` (gathered from StyleGAN2 layers by
:class:`ganseg_mm.datasetgan.DatasetGANInterpreter`), not backbone maps.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS

from ganseg_mm.models.utils.ensemble_uncertainty import js_uncertainty, majority_vote
from ganseg_mm.utils.errors import ConfigError


def _mlp(in_channels, hidden, num_classes):
    """datasetGAN_release's classifier: Linear-ReLU-BN, Linear-ReLU-BN, Linear."""
    h1, h2 = hidden
    return nn.Sequential(
        nn.Linear(in_channels, h1), nn.ReLU(), nn.BatchNorm1d(h1),
        nn.Linear(h1, h2), nn.ReLU(), nn.BatchNorm1d(h2),
        nn.Linear(h2, num_classes))


@MODELS.register_module()
class DatasetGANInterpreterHead(BaseModule):
    """Ensemble of ``num_members`` three-layer MLPs on per-pixel features.

    Widths follow nv-tlabs/datasetGAN_release: ``(128, 32)`` for fewer than 32
    classes, ``(256, 128)`` otherwise. Prediction is the members' majority
    vote, uncertainty the per-pixel Jensen-Shannon divergence of their softmax
    outputs, so the members must be trained independently (the reference
    trains each classifier on its own, with its own initialization and its own
    shuffling of the pixels): members that saw the same batches agree more,
    the JS score shrinks and the uncertainty filter weakens. Here each member
    has its own initialization and, every step, its own random subset
    (``member_fraction``) of the sampled pixels, so their batches differ as
    independently shuffled loaders' would. Their losses are summed for one
    optimizer; the members share no parameters, so with a per-parameter
    optimizer (Adam, as the reference) each member's update depends on its
    own loss only. Each member also stops on its own:
    :class:`ganseg_mm.engine.hooks.MemberEarlyStoppingHook` rewinds a member
    whose held-out score no longer improves to its best weights and freezes it
    (:meth:`freeze_member`) while the others train on.

    Args:
        in_channels (int): Feature dimension D (sum of the selected StyleGAN2
            layers' channels).
        num_classes (int): Number of classes.
        num_members (int): Ensemble size. Defaults to 10.
        hidden_channels (tuple[int, int], optional): Hidden widths; None picks
            datasetGAN_release's widths from ``num_classes``. Defaults to None.
        ignore_index (int): Label ignored by the loss. Defaults to 255.
        loss_weight (float): Weight of the summed members' cross-entropy.
            Defaults to 1.0.
        member_fraction (float): Share of the step's pixels each member is
            trained on, drawn per member; 1.0 trains every member on the same
            pixels. Defaults to 0.5.
        init_cfg (dict, optional): mmengine initialization config.
    """

    def __init__(self, in_channels, num_classes, num_members=10, hidden_channels=None,
                 ignore_index=255, loss_weight=1.0, member_fraction=0.5, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        for name, v in (('in_channels', in_channels), ('num_classes', num_classes),
                        ('num_members', num_members)):
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f'{name} must be a positive int, got {v!r}')
        if num_classes < 2:
            raise ConfigError(f'num_classes must be >= 2, got {num_classes}')
        if hidden_channels is None:
            hidden_channels = (128, 32) if num_classes < 32 else (256, 128)
        if not 0 < member_fraction <= 1:
            raise ConfigError(f'member_fraction must be in (0, 1], got {member_fraction}')
        if len(hidden_channels) != 2:
            raise ConfigError(f'hidden_channels must have two widths, got {hidden_channels}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_members = num_members
        self.hidden_channels = tuple(hidden_channels)
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self.member_fraction = member_fraction
        self.members = nn.ModuleList(
            _mlp(in_channels, self.hidden_channels, num_classes) for _ in range(num_members))
        self.frozen_members = set()

    def freeze_member(self, i: int) -> None:
        """Stop training member ``i``: no loss, no gradient, and BatchNorm
        statistics kept (the member stays in eval mode)."""
        self.frozen_members.add(i)
        self.members[i].requires_grad_(False)
        self.members[i].eval()

    def train(self, mode=True):
        super().train(mode)
        for i in self.frozen_members:
            self.members[i].eval()
        return self

    def _check(self, feats):
        if feats.dim() != 2 or feats.shape[1] != self.in_channels:
            raise ValueError(f'features must be (N, {self.in_channels}), '
                             f'got {tuple(feats.shape)}')

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Logits ``(num_members, N, num_classes)`` of features ``(N, D)``."""
        self._check(feats)
        return torch.stack([m(feats) for m in self.members])

    def loss(self, feats: torch.Tensor, labels: torch.Tensor) -> dict:
        """``loss_ce`` (sum of the members' mean CE, each on its own random
        ``member_fraction`` of the pixels) and pixel ``acc`` (vote, all pixels)."""
        self._check(feats)
        n = feats.shape[0]
        k = max(1, round(self.member_fraction * n))
        ce = 0
        for i, member in enumerate(self.members):
            if i in self.frozen_members:
                continue
            idx = torch.randperm(n, device=feats.device)[:k] if k < n else slice(None)
            ce = ce + F.cross_entropy(member(feats[idx]), labels[idx],
                                      ignore_index=self.ignore_index)
        with torch.no_grad():
            valid = labels != self.ignore_index
            vote = majority_vote(self.forward(feats).softmax(-1))
            acc = (vote[valid] == labels[valid]).float().mean() if valid.any() \
                else feats.new_tensor(0.)
        return dict(loss_ce=self.loss_weight * ce, acc=acc)

    @torch.no_grad()
    def predict(self, feats: torch.Tensor, return_members: bool = False):
        """Majority-vote labels ``(N,)`` and per-pixel JS uncertainty ``(N,)``;
        with ``return_members`` also each member's labels ``(num_members, N)``."""
        probs = self.forward(feats).softmax(-1)
        out = majority_vote(probs), js_uncertainty(probs)
        return out + (probs.argmax(-1),) if return_members else out
