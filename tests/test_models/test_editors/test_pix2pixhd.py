"""pix2pixHD networks, losses, condition and one mmagic train_step on tiny inputs."""
import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import init_default_scope

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.models.editors.pix2pixhd import (Pix2PixHDDiscriminator, Pix2PixHDGenerator,
                                                VGGLoss, feature_matching_loss, gan_loss,
                                                resolve_vgg_weights)
from ganseg_mm.utils.gan import instance_boundary, make_condition

NC = 3


def _gen(**kw):
    return Pix2PixHDGenerator(num_classes=NC, base_channels=4, n_downsampling=2, n_blocks=1,
                              first_kernel=3, **kw)


def test_generator_shape_range_and_checks():
    g = _gen()
    out = g(torch.randn(2, NC + 2, 16, 32))
    assert out.shape == (2, 3, 16, 32) and out.abs().max() <= 1
    with pytest.raises(ValueError, match=r'\(N, 5, H, W\)'):
        g(torch.randn(2, NC + 1, 16, 32))
    with pytest.raises(ValueError, match='divisible by 4'):
        g(torch.randn(1, NC + 2, 18, 32))
    with pytest.raises(ValueError, match='first_kernel must be odd'):
        Pix2PixHDGenerator(NC, first_kernel=4)
    with pytest.raises(ValueError, match="norm must be"):
        Pix2PixHDGenerator(NC, norm='GN')
    assert _gen(use_instance=False).in_channels == NC + 1


def test_discriminator_scales_and_features():
    d = Pix2PixHDDiscriminator(in_channels=8, base_channels=4, n_layers=2, num_scales=3)
    outs = d(torch.randn(1, 8, 32, 64))
    assert len(outs) == 3 and all(len(o) == 4 for o in outs)  # n_layers + 2 blocks
    assert outs[0][-1].shape[1] == 1
    assert outs[1][-1].shape[-1] < outs[0][-1].shape[-1]  # coarser scale
    with pytest.raises(ValueError, match=r'\(N, 8, H, W\)'):
        d(torch.randn(1, 7, 32, 64))
    with pytest.raises(ValueError, match='num_scales'):
        Pix2PixHDDiscriminator(8, num_scales=0)


def test_gan_losses_exact():
    """Per scale the mean over the patch map; summed over the scales (pix2pixHD)."""
    zero = [[torch.zeros(1, 1, 2, 2)], [torch.zeros(1, 1, 1, 1)]]
    two = [[torch.full((1, 1, 2, 2), 2.)]]
    assert gan_loss(zero, True, 'lsgan').item() == 2.0  # (0 - 1)^2 at each of 2 scales
    assert gan_loss(zero, False, 'lsgan').item() == 0.0
    mixed = [[torch.full((1, 1, 2, 2), 0.5)], [torch.tensor([[[[0., 2.]]]])]]
    # scale 1: (0.5 - 1)^2 = 0.25; scale 2: ((0 - 1)^2 + (2 - 1)^2) / 2 = 1
    assert gan_loss(mixed, True, 'lsgan').item() == 1.25
    assert gan_loss(two, True, 'lsgan').item() == 1.0
    assert gan_loss(zero, True, 'hinge').item() == 2.0  # relu(1 - 0) at each of 2 scales
    assert gan_loss(two, False, 'hinge').item() == 3.0  # relu(1 + 2)
    assert gan_loss(two, True, 'hinge', for_discriminator=False).item() == -2.0
    with pytest.raises(ValueError, match='wgan'):
        gan_loss(zero, True, 'wgan')


def test_feature_matching():
    f = [[torch.ones(1, 2, 2, 2), torch.zeros(1, 1, 1, 1)]]
    r = [[torch.zeros(1, 2, 2, 2), torch.zeros(1, 1, 1, 1)]]
    # one feature layer (n_layers + 1 = 1): weight 4/1, one scale
    assert feature_matching_loss(f, r).item() == 4.0
    assert feature_matching_loss(f, f).item() == 0.0


def test_condition_one_hot_ignore_edges_and_bad_ids():
    label = torch.tensor([[[0, 1], [2, 255]]])
    edge = torch.tensor([[[1, 0], [0, 0]]])
    c = make_condition(label, edge, NC)
    assert c.shape == (1, NC + 2, 2, 2)
    assert c[0, :, 1, 1].tolist() == [0, 0, 0, 1, 0]  # ignore channel
    assert c[0, :, 0, 0].tolist() == [1, 0, 0, 0, 1]  # class 0 + edge
    with pytest.raises(DataValidationError, match=r'x.png: label ids \[7\]'):
        make_condition(torch.tensor([[[7]]]), None, NC, source='x.png')


@pytest.mark.parametrize('use_instance,with_edge', [(True, True), (True, False), (False, False)])
def test_condition_equals_one_hot_reference(use_instance, with_edge):
    g = torch.Generator().manual_seed(0)
    label = torch.randint(0, 19, (3, 16, 24), generator=g)
    label[0, :4] = 255
    edge = torch.randint(0, 2, (3, 16, 24), generator=g) if with_edge else None
    ref = torch.nn.functional.one_hot(torch.where(label == 255, 19, label), 20)
    ref = ref.permute(0, 3, 1, 2).float()
    if use_instance:
        extra = edge.float() if with_edge else torch.zeros_like(label, dtype=torch.float)
        ref = torch.cat([ref, extra.unsqueeze(1)], 1)
    got = make_condition(label.to(torch.uint8), edge, 19, use_instance=use_instance)
    assert got.dtype == torch.float32 and torch.equal(got, ref)


def test_instance_boundary_exact():
    inst = np.array([[1, 1, 2], [1, 1, 2]])
    assert instance_boundary(inst).tolist() == [[0, 1, 1], [0, 1, 1]]
    assert instance_boundary(np.zeros((2, 2))).sum() == 0


def test_vgg_weights_missing_error(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(FileNotFoundError, match='vgg19-dcbb9e9d.pth.*pretrained=None'):
        resolve_vgg_weights('torchvision://vgg19')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        VGGLoss(str(tmp_path / 'nope.pth'))
    assert resolve_vgg_weights(None) is None


def _model(**kw):
    import ganseg_mm  # noqa: F401
    from mmagic.registry import MODELS
    init_default_scope('mmagic')
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='Pix2PixHD',
        data_preprocessor=dict(type='Pix2PixHDDataPreprocessor', num_classes=NC),
        generator=dict(type='Pix2PixHDGenerator', num_classes=NC, base_channels=4,
                       n_downsampling=2, n_blocks=1, first_kernel=3),
        discriminator=dict(type='Pix2PixHDDiscriminator', in_channels=NC + 5,
                           base_channels=4, n_layers=2),
        **kw))


def _batch(n=2, h=16, w=32):
    g = torch.Generator().manual_seed(0)
    return dict(inputs=dict(img=[torch.randint(0, 256, (3, h, w), generator=g,
                                               dtype=torch.uint8) for _ in range(n)],
                            label=[torch.randint(0, NC, (1, h, w), generator=g)
                                   for _ in range(n)],
                            edge=[torch.zeros(1, h, w, dtype=torch.uint8)] * n))


def _optims(model):
    return OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), 1e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(), 1e-3)))


@pytest.mark.parametrize('gan_type', ['lsgan', 'hinge'])
def test_train_step_updates_both_networks(gan_type):
    model = _model(gan_type=gan_type, vgg_loss=dict(weight=1., pretrained=None))
    MessageHub.get_current_instance().update_info('iter', 0)
    g0 = [p.clone() for p in model.generator.parameters()]
    d0 = [p.clone() for p in model.discriminator.parameters()]
    log = model.train_step(_batch(), _optims(model))
    assert {'loss_gan_d_fake', 'loss_gan_d_real', 'loss_gan_g', 'loss_feat_match',
            'loss_vgg', 'l1_fake_real'} <= set(log)
    assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, model.generator.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d0, model.discriminator.parameters()))
    # the frozen VGG stays out of checkpoints
    assert not any('vgg' in k for k in model.state_dict())
    assert all(p.requires_grad for p in model.discriminator.parameters())  # unfrozen after G


def test_generator_runs_once_per_iteration():
    """pix2pixHD computes the fake once: D's step sees it detached, G's step
    backpropagates through the same tensor."""
    model = _model(vgg_loss=None)
    MessageHub.get_current_instance().update_info('iter', 0)
    calls = []
    model.generator.register_forward_hook(lambda m, i, o: calls.append(o))
    seen = []
    model.discriminator.register_forward_hook(lambda m, i, o: seen.append(i[0]))
    model.train_step(_batch(), _optims(model))
    assert len(calls) == 1
    fake = calls[0]
    # D: fake (detached), real; G: fake (with its graph), real (feature matching)
    assert torch.equal(seen[0][:, -3:], fake.detach()) and not seen[0].requires_grad
    assert torch.equal(seen[2][:, -3:], fake.detach()) and seen[2].requires_grad
    assert model._fake is None  # nothing held after the iteration


def test_two_discriminator_steps_regenerate():
    model = _model(vgg_loss=None, discriminator_steps=2)
    calls = []
    model.generator.register_forward_hook(lambda m, i, o: calls.append(o.requires_grad))
    for it in range(2):
        MessageHub.get_current_instance().update_info('iter', it)
        model.train_step(_batch(), _optims(model))
    assert calls == [False, False, True]  # no grad-carrying fake waits for a G step


def test_model_checks_and_inference():
    with pytest.raises(ValueError, match='in_channels must be generator.in_channels'):
        import ganseg_mm  # noqa: F401
        from mmagic.registry import MODELS
        init_default_scope('mmagic')
        MODELS.build(dict(type='Pix2PixHD',
                          data_preprocessor=dict(type='Pix2PixHDDataPreprocessor',
                                                 num_classes=NC),
                          generator=dict(type='Pix2PixHDGenerator', num_classes=NC,
                                         base_channels=4, n_blocks=1),
                          discriminator=dict(type='Pix2PixHDDiscriminator', in_channels=6)))
    with pytest.raises(ValueError, match="vgg_loss keys"):
        _model(vgg_loss=dict(layers=3))
    with pytest.raises(ValueError, match='gan_type'):
        _model(gan_type='wgan')
    model = _model()
    samples = model.val_step(_batch(n=1))
    fake = samples[0].fake_img
    assert fake.shape == (3, 16, 32) and 0 <= fake.min() and fake.max() <= 255
    with pytest.raises(DataValidationError, match='label ids'):
        b = _batch(n=1)
        b['inputs']['label'][0][0, 0, 0] = 9
        model.val_step(b)


def test_preprocessor_names_the_bad_file_of_a_batch():
    from mmagic.structures import DataSample
    model = _model()
    b = _batch(n=2)
    b['data_samples'] = [DataSample(metainfo=dict(seg_map_path=f'{n}.png')) for n in 'ab']
    model.data_preprocessor(b)  # a good batch passes
    b['inputs']['label'][1][0, 0, 0] = 9  # the second map is bad
    with pytest.raises(DataValidationError, match=r'^b.png: label ids \[9\]'):
        model.data_preprocessor(b)


def test_transforms_load_edges_and_check_sizes(tmp_path):
    import cv2
    from ganseg_mm.datasets.transforms import LoadInstanceBoundary, PackLabelImagePair
    seg_path = str(tmp_path / 'a_gtFine_labelTrainIds.png')
    inst = np.zeros((4, 6), np.uint16)
    inst[:, 3:] = 26001
    cv2.imwrite(str(tmp_path / 'a_gtFine_instanceIds.png'), inst)
    res = dict(seg_map_path=seg_path, gt_seg_map=np.zeros((4, 6), np.uint8),
               img=np.zeros((4, 6, 3), np.uint8), img_path='a.png', seg_fields=['gt_seg_map'])
    res = LoadInstanceBoundary()(res)
    assert res['inst_edge'][:, 2:4].all() and res['inst_edge'].sum() == 8
    assert 'inst_edge' in res['seg_fields']
    packed = PackLabelImagePair()(res)
    assert packed['inputs']['edge'].shape == (1, 4, 6)
    res['img'] = np.zeros((5, 6, 3), np.uint8)
    with pytest.raises(DataValidationError, match=r'a.png: image size \(5, 6\) differs'):
        PackLabelImagePair()(res)
    res['gt_seg_map'] = np.zeros((3, 6), np.uint8)
    with pytest.raises(DataValidationError, match='instanceIds.png: size'):
        LoadInstanceBoundary()(res)
    res['seg_map_path'] = str(tmp_path / 'b_gtFine_labelTrainIds.png')
    assert LoadInstanceBoundary()(res)['inst_edge'].sum() == 0  # no instanceIds: zeros
    with pytest.raises(DataValidationError, match='instanceIds.png: instance map missing'):
        LoadInstanceBoundary(required=True)(res)
