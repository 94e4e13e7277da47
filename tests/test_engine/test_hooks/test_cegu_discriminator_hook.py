"""CEGUDiscriminatorHook on a real Runner: updates, resume, stock load, errors."""
import copy
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmseg.registry import MODELS

from tests.utils import point_cfg_at_demo

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CEGU_DEMO = osp.join(REPO, 'configs/cegu/deeplabv3_r18_cegu_demo.py')
BASE_DEMO = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')


def _cfg(path, root, work_dir, iters, warmup=1):
    cfg = Config.fromfile(path)
    point_cfg_at_demo(cfg, root, work_dir, iters)
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
    scalars = runner.message_hub.log_scalars
    assert 0.0 <= scalars['train/cegu.uncertainty'].current() <= 1.0
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
    cfg.custom_hooks[1].with_image = True  # but in_channels stays 19
    with pytest.raises(ValueError, match=r'num_classes=19 \(\+3 image channels\): set in_channels=22'):
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
