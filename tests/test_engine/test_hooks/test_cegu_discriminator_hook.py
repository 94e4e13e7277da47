"""CEGUDiscriminatorHook: direction of its training and statistics (no Runner),
then on a real Runner: updates, resume, stock load, pictures, AMP, errors."""
import copy
import glob
import os.path as osp
import sys
import uuid

import cv2
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, DefaultScope, init_default_scope
from mmengine.runner import Runner
from mmseg.registry import MODELS

from ganseg_mm.engine.hooks import CEGUDiscriminatorHook
from ganseg_mm.models.losses import CEGULoss
from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CEGU_DEMO = osp.join(REPO, 'configs/cegu/deeplabv3_r18_cegu_demo.py')
BASE_DEMO = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')
SIZE = 32


def _striped_scene(g, n):
    """Ground truth: class 0 above a random horizon, class 1 below. Prediction:
    the same layout with an 8x8 block of class 2 (never in ground truth) at a
    random place; returns (label, logits, block mask)."""
    label = torch.zeros(n, SIZE, SIZE, dtype=torch.long)
    block = torch.zeros(n, SIZE, SIZE, dtype=torch.bool)
    for i in range(n):
        label[i, int(torch.randint(8, 24, (1,), generator=g)):] = 1
        y, x = torch.randint(0, SIZE - 8, (2,), generator=g).tolist()
        block[i, y:y + 8, x:x + 8] = True
    pred = torch.where(block, torch.full_like(label, 2), label)
    logits = 4.0 * F.one_hot(pred, 3).permute(0, 3, 1, 2).float()
    return label, logits, block


def _small_hook(encoding='onehot'):
    """A seeded hook with a small 3-class discriminator, built without a Runner."""
    torch.manual_seed(0)
    hook = CEGUDiscriminatorHook(
        discriminator=dict(type='PixelDiscriminator', in_channels=3, base_channels=16,
                           num_convs=2),
        optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
        encoding=encoding)
    hook.build_discriminator(3, 'cpu')
    return hook


def test_discriminator_built_in_mmseg_scope_whatever_the_callers_scope():
    """A default scope left at mmagic (by a GAN step in the same process) must
    neither break the build nor be changed by it."""
    init_default_scope('mmagic')
    hook = _small_hook()
    assert type(hook.discriminator).__name__ == 'PixelDiscriminator'
    assert DefaultScope.get_current_instance().scope_name == 'mmagic'
    init_default_scope('mmseg')


def _trained_hook(steps=150, encoding='onehot'):
    hook = _small_hook(encoding)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        label, logits, _ = _striped_scene(g, 4)
        hook.train_discriminator(logits, label)
    return hook, g


def test_trained_discriminator_scores_ground_truth_above_predictions_and_weights_errors():
    hook, g = _trained_hook()
    label, logits, block = _striped_scene(g, 8)  # unseen scenes
    valid = torch.ones_like(label, dtype=torch.bool)
    ctx = hook.context
    with torch.no_grad():
        d_real = torch.sigmoid(ctx.discriminate(ctx.encode_label(label, valid)))
        d_fake = torch.sigmoid(ctx.discriminate(ctx.encode_prediction(logits, valid)))
    assert d_real.mean() > 0.6 > 0.4 > d_fake[block].mean()
    # CEGU weighs the wrong block above the pixels predicted right
    ctx.active = True
    loss = CEGULoss()
    loss.cegu = ctx
    loss(logits, label)
    w = ctx.cache['weights']
    assert w[block].mean() > 1.2 * w[~block].mean()


def test_onehot_discriminator_cannot_separate_correct_predictions():
    """Predictions right everywhere: with one-hot encoding D sees identical maps,
    with softmax encoding it separates them by softness alone."""
    g = torch.Generator().manual_seed(1)
    label, _, _ = _striped_scene(g, 4)
    logits = 4.0 * F.one_hot(label, 3).permute(0, 3, 1, 2).float()
    gaps = {}
    for encoding in ('onehot', 'softmax'):
        hook = _small_hook(encoding)
        for _ in range(60):
            _, d_real, d_fake, _ = hook.train_discriminator(logits, label).tolist()
        gaps[encoding] = d_real - d_fake
    assert gaps['onehot'] == 0.0
    assert gaps['softmax'] > 0.5


class _FakeRunner:
    def __init__(self, it):
        self.iter = it
        self.message_hub = MessageHub.get_instance(f'cegu_{uuid.uuid4().hex}')


def test_logged_statistics_by_hand():
    hook = CEGUDiscriminatorHook(
        discriminator=dict(type='PixelDiscriminator', in_channels=2, base_channels=4,
                           num_convs=1), log_interval=2)
    hook.build_discriminator(2, 'cpu')
    label = torch.tensor([[[0, 0, 1, 255]]])
    logits = torch.tensor([[[[2., 2., 2., 0.]], [[0., 0., 0., 0.]]]])  # wrong at pixel 2
    weights = torch.tensor([[[0.5, 1.0, 2.0, 0.0]]])
    cache = dict(logits=logits, label=label, ignore_index=255, weights=weights)
    hook._accumulate(torch.tensor([0.6, 0.7, 0.2, 0.0]), cache)
    hook._accumulate(torch.tensor([0.4, 0.9, 0.4, 0.0]), dict(cache, weights=None))
    runner = _FakeRunner(1)
    hook._flush(runner)
    s = {k.split('/')[-1]: v.current() for k, v in runner.message_hub.log_scalars.items()}
    assert s['cegu.d_bce'] == pytest.approx(0.5)
    assert s['cegu.d_real'] == pytest.approx(0.8) and s['cegu.d_fake'] == pytest.approx(0.3)
    w = torch.tensor([0.5, 1.0, 2.0])
    assert s['cegu.w_std'] == pytest.approx(w.std(unbiased=False).item())
    assert s['cegu.w_above_1.5'] == pytest.approx(1 / 3)
    assert s['cegu.w_wrong_vs_right'] == pytest.approx(2.0 / 0.75)
    assert hook._stats.abs().sum() == 0  # reset for the next interval
    hook._accumulate(torch.tensor([float('nan'), 0.5, 0.5, 3.0]), cache)
    with pytest.raises(FloatingPointError, match='not finite.*at 3 pixels'):
        hook._flush(runner)


def test_no_host_sync_between_logging_intervals(monkeypatch):
    """ganseg_mm's CEGU code reads no tensor value on the host in an iteration
    that logs nothing (mmengine's and torch's own code is not checked)."""
    hook, g = _trained_hook(steps=1)
    hook.log_interval = 10
    hook.context.active = True
    loss = CEGULoss()
    loss.cegu = hook.context

    def guard(name):
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if 'ganseg_mm' in caller:
                raise AssertionError(f'Tensor.{name} called from {caller}')
            return original(self, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, name, wrapper)

    for name in ('item', 'tolist', '__bool__', '__float__', '__int__'):
        guard(name)
    label, logits, _ = _striped_scene(g, 2)
    logits.requires_grad_(True)
    hook.context.cache = None
    loss(logits, label).backward()
    hook.after_train_iter(_FakeRunner(0), 0)
    with pytest.raises(AssertionError, match='tolist'):  # the logging iteration reads once
        loss(logits, label)
        hook.after_train_iter(_FakeRunner(9), 9)


def test_argument_checks():
    d = dict(type='PixelDiscriminator', in_channels=3)
    with pytest.raises(ValueError, match="got 'soft'"):
        CEGUDiscriminatorHook(d, encoding='soft')
    with pytest.raises(ValueError, match='got -1'):
        CEGUDiscriminatorHook(d, warmup_iters=-1)
    with pytest.raises(ValueError, match='got 0'):
        CEGUDiscriminatorHook(d, log_interval=0)
    with pytest.raises(ValueError, match='got -2'):
        CEGUDiscriminatorHook(d, vis_interval=-2)


def _cfg(path, root, work_dir, iters, warmup=1):
    cfg = Config.fromfile(path)
    point_cfg_at_demo(cfg, root, work_dir, iters)
    cfg.default_hooks.logger.interval = 1
    cfg.experiment_name = uuid.uuid4().hex
    for h in cfg.get('custom_hooks', []):
        if h.type == 'CEGUDiscriminatorHook':
            h.warmup_iters = warmup
            h.discriminator.base_channels = 8
    return cfg


def _cegu_hook(runner):
    return next(h for h in runner.hooks if type(h).__name__ == 'CEGUDiscriminatorHook')


class _Probe(Hook):
    def __init__(self):
        self.snapshots, self.active = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        hook = _cegu_hook(runner)
        self.snapshots.append(copy.deepcopy(hook.discriminator.state_dict()))
        self.active.append(hook.context.active)
        self.outputs = outputs


@pytest.mark.slow
def test_discriminator_changes_every_iteration_and_loss_switches_after_warmup(
        tiny_demo_root, tmp_path):
    runner = Runner.from_cfg(_cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=3, warmup=1))
    probe = _Probe()
    runner.register_hook(probe, priority='LOWEST')
    runner.train()
    assert probe.active == [False, True, True]
    for a, b in zip(probe.snapshots, probe.snapshots[1:]):
        assert any(not torch.equal(a[k], b[k]) for k in a)
    assert 'decode.loss_cegu' in probe.outputs
    scalars = runner.message_hub.log_scalars  # logged every iteration here
    assert 0.0 <= scalars['train/cegu.d_fake'].current() <= 1.0
    assert scalars['train/cegu.w_std'].current() > 0  # active from iteration 2
    assert _cegu_hook(runner).step == 3


@pytest.mark.slow
def test_resume_restores_the_discriminator_exactly(tiny_demo_root, tmp_path):
    full, cut = str(tmp_path / 'full'), str(tmp_path / 'cut')
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, full, iters=4)
    cfg.default_hooks.checkpoint.interval = 2
    Runner.from_cfg(cfg).train()
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, cut, iters=2)
    Runner.from_cfg(cfg).train()
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, cut, iters=4)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()
    a = torch.load(osp.join(full, 'iter_4.pth'), map_location='cpu')
    b = torch.load(osp.join(cut, 'iter_4.pth'), map_location='cpu')
    da, db = a['cegu_discriminator'], b['cegu_discriminator']
    assert da['step'] == db['step'] == 4
    for k in da['state_dict']:
        torch.testing.assert_close(da['state_dict'][k], db['state_dict'][k], msg=k)
    for k in a['state_dict']:
        torch.testing.assert_close(a['state_dict'][k], b['state_dict'][k], msg=k)
    exp_avg_a = da['optimizer']['state'][0]['exp_avg']
    torch.testing.assert_close(exp_avg_a, db['optimizer']['state'][0]['exp_avg'])


@pytest.mark.slow
def test_checkpoint_loads_into_stock_segmentor_with_identical_inference(
        tiny_demo_root, tmp_path):
    Runner.from_cfg(_cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=2)).train()
    ckpt = torch.load(osp.join(str(tmp_path), 'iter_2.pth'), map_location='cpu')
    assert 'cegu_discriminator' in ckpt
    assert not any('discriminator' in k for k in ckpt['state_dict'])
    init_default_scope('mmseg')
    stock = MODELS.build(Config.fromfile(BASE_DEMO).model)
    result = stock.load_state_dict(ckpt['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    cegu = MODELS.build(Config.fromfile(CEGU_DEMO).model)
    cegu.load_state_dict(ckpt['state_dict'], strict=True)
    x = torch.rand(1, 3, 128, 256)
    stock.eval(), cegu.eval()
    with torch.no_grad():
        assert torch.equal(stock(x, mode='tensor'), cegu(x, mode='tensor'))


@pytest.mark.slow
def test_discriminator_channel_mismatch_is_refused(tiny_demo_root, tmp_path):
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=1)
    cfg.custom_hooks[1].discriminator.in_channels = 18
    with pytest.raises(ValueError, match='in_channels=18, but the segmentor has num_classes=19'):
        Runner.from_cfg(cfg).train()


@pytest.mark.slow
def test_hook_without_cegu_loss_is_refused(tiny_demo_root, tmp_path):
    cfg = _cfg(BASE_DEMO, tiny_demo_root, str(tmp_path), iters=1)
    cfg.custom_hooks = [dict(type='CEGUDiscriminatorHook',
                             discriminator=dict(type='PixelDiscriminator', in_channels=19))]
    with pytest.raises(ValueError, match='no CEGULoss'):
        Runner.from_cfg(cfg).train()


@pytest.mark.slow
def test_with_image_feeds_the_normalized_image_to_the_discriminator(tiny_demo_root, tmp_path):
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=2)
    cfg.custom_hooks[1].with_image = True
    cfg.custom_hooks[1].discriminator.in_channels = 22
    runner = Runner.from_cfg(cfg)
    seen = []
    hook = None

    class _Spy(Hook):
        def before_run(self, runner):
            nonlocal hook
            hook = _cegu_hook(runner)
            original = hook.discriminator.forward
            hook.discriminator.forward = lambda x: (seen.append(x.detach()), original(x))[1]

    runner.register_hook(_Spy(), priority='LOWEST')
    runner.train()
    assert seen and all(x.shape[1] == 22 for x in seen)
    img = seen[-1][:, 19:]
    assert img.abs().max() > 1.0  # normalized pixels, not probabilities
    assert hook.context.image.shape[1] == 3
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path / 'b'), iters=1)
    cfg.custom_hooks[1].with_image = True
    cfg.custom_hooks[1].discriminator.in_channels = 19  # explicit and without the image
    with pytest.raises(ValueError,
                       match=r'num_classes=19 \(\+3 image channels\): set in_channels=22'):
        Runner.from_cfg(cfg).train()


@pytest.mark.slow
def test_adversarial_term_in_a_loss_list(tiny_demo_root, tmp_path):
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=2)
    cfg.model.decode_head.loss_decode = [
        dict(type='CEGULoss'), dict(type='CEGUAdversarialLoss', loss_weight=0.1)]
    runner = Runner.from_cfg(cfg)
    probe = _Probe()
    runner.register_hook(probe, priority='LOWEST')
    runner.train()
    assert probe.active == [False, True]
    assert probe.outputs['decode.loss_adv'].item() > 0  # active in iteration 2
    assert 'decode.loss_cegu' in probe.outputs


@pytest.mark.slow
def test_weight_picture_goes_to_the_visualizer(tiny_demo_root, tmp_path):
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=2, warmup=0)
    cfg.custom_hooks[1].vis_interval = 2
    Runner.from_cfg(cfg).train()
    files = glob.glob(osp.join(str(tmp_path), '*', 'vis_data', 'vis_image', 'cegu_weights_*.png'))
    assert [osp.basename(f) for f in files] == ['cegu_weights_2.png']
    pic = cv2.imread(files[0])
    w = pic.shape[1] // 4  # image | ground truth | prediction | weights
    assert pic.shape[1] == 4 * w
    assert pic[:, 3 * w:].std() > 0  # the weight map is not uniform


@OPTIM_WRAPPERS.register_module(force=True)
class CPUBFloat16OptimWrapper(OptimWrapper):
    """What ``AmpOptimWrapper`` does for a model's forward, on CPU (bfloat16
    autocast; mmengine's AmpOptimWrapper needs CUDA)."""

    def optim_context(self, model):
        from contextlib import ExitStack
        stack = ExitStack()
        stack.enter_context(super().optim_context(model))
        stack.enter_context(torch.autocast('cpu', dtype=torch.bfloat16))
        return stack


@pytest.mark.slow
@pytest.mark.parametrize('d_amp', [False, True])
def test_segmentor_autocast_does_not_reach_the_discriminator(tiny_demo_root, tmp_path, d_amp):
    """Segmentor under bf16 autocast (as --amp): D runs in fp32 unless its own
    optimizer wrapper casts, its weights stay fp32, and training stays finite."""
    cfg = _cfg(CEGU_DEMO, tiny_demo_root, str(tmp_path), iters=3)
    cfg.optim_wrapper.type = 'CPUBFloat16OptimWrapper'
    if d_amp:
        cfg.custom_hooks[1].optim_wrapper.type = 'CPUBFloat16OptimWrapper'
    runner = Runner.from_cfg(cfg)
    seen = dict(logits=set(), d_autocast=set())

    class _Spy(Hook):
        def before_run(self, runner):
            hook = _cegu_hook(runner)
            forward = hook.discriminator.forward

            def spy(x):
                seen['d_autocast'].add(torch.is_autocast_enabled('cpu'))
                return forward(x)
            hook.discriminator.forward = spy
            loss = runner.model.decode_head.loss_decode[0]
            original = loss.forward

            def loss_spy(cls_score, *args, **kwargs):
                seen['logits'].add(cls_score.dtype)
                return original(cls_score, *args, **kwargs)
            loss.forward = loss_spy

    runner.register_hook(_Spy(), priority='LOWEST')
    probe = _Probe()
    runner.register_hook(probe, priority='LOWEST')
    runner.train()
    assert seen['logits'] == {torch.bfloat16}  # the segmentor did run under autocast
    assert seen['d_autocast'] == {d_amp}
    hook = _cegu_hook(runner)
    assert all(p.dtype == torch.float32 for p in hook.discriminator.parameters())
    assert all(torch.isfinite(v).all() for v in probe.snapshots[-1].values())
    assert torch.isfinite(probe.outputs['decode.loss_adv']) and probe.outputs['decode.loss_adv'] > 0
