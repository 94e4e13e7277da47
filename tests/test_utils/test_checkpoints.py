"""One checkpoint reader for every tool: a missing, corrupt (random bytes,
truncated, empty) or foreign checkpoint is one DataValidationError naming it."""
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.gan import check_state_dict, load_generator, read_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIX2PIXHD_DEMO = osp.join(REPO, 'configs/ganaug/pix2pixhd_demo.py')


def bad_checkpoints(d) -> dict:
    """kind -> (path, message pattern) of files that are not the checkpoint asked for."""
    d = str(d)
    good = osp.join(d, 'good.pth')
    torch.save(dict(meta=dict(), state_dict={'x.weight': torch.zeros(2, 2)}), good)
    data = open(good, 'rb').read()
    files = {'random.pth': os.urandom(2048), 'truncated.pth': data[:len(data) // 2],
             'empty.pth': b''}
    for name, content in files.items():
        with open(osp.join(d, name), 'wb') as f:
            f.write(content)
    torch.save([1, 2, 3], osp.join(d, 'list.pth'))
    torch.save(dict(meta=dict(iter=3)), osp.join(d, 'no_state.pth'))
    unreadable = r'not a readable checkpoint \(\w+\)$'
    return dict(missing=(osp.join(d, 'missing.pth'), 'missing.pth: checkpoint not found$'),
                random=(osp.join(d, 'random.pth'), 'random.pth: ' + unreadable),
                truncated=(osp.join(d, 'truncated.pth'), 'truncated.pth: ' + unreadable),
                empty=(osp.join(d, 'empty.pth'), 'empty.pth: ' + unreadable),
                not_a_dict=(osp.join(d, 'list.pth'), r'list.pth: not a checkpoint \(no state'),
                no_state=(osp.join(d, 'no_state.pth'), r'no_state.pth: not a checkpoint'))


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'empty', 'not_a_dict',
                                  'no_state'])
def test_read_checkpoint_refuses_what_is_not_one(kind, tmp_path):
    path, pattern = bad_checkpoints(tmp_path)[kind]
    with pytest.raises(DataValidationError, match=pattern) as e:
        read_checkpoint(path)
    assert '\n' not in str(e.value) and path in str(e.value)


def test_read_checkpoint_state_dict_and_module_prefix(tmp_path):
    path = str(tmp_path / 'ddp.pth')
    torch.save(dict(state_dict={'module.a.w': torch.ones(2)}), path)
    assert list(read_checkpoint(path)) == ['a.w']  # as mmengine's load_checkpoint
    torch.save({'a.w': torch.ones(2)}, path)  # a bare state dict
    assert torch.equal(read_checkpoint(path)['a.w'], torch.ones(2))


def test_check_state_dict_names_missing_unexpected_and_reshaped_keys():
    model = {'a.w': torch.zeros(4, 2), 'a.b': (4, ), 'bn.num_batches_tracked': ()}
    check_state_dict({'a.w': torch.zeros(4, 2), 'a.b': torch.zeros(4)}, model, 'f.pth', 'M')
    with pytest.raises(DataValidationError, match=r'^f.pth: does not fit M: missing keys: 1 '
                       r'\(e.g. a.b\); unexpected keys: 1 \(e.g. c\); keys of another shape '
                       r'\(file vs model\): 1 \(e.g. a.w \(3, 2\) vs \(4, 2\)\)$'):
        check_state_dict({'a.w': torch.zeros(3, 2), 'c': torch.zeros(1)}, model, 'f.pth', 'M')
    # extra keys allowed (a UDA checkpoint's teacher), missing ones still not
    check_state_dict({'a.w': torch.zeros(4, 2), 'a.b': torch.zeros(4), 't.w': torch.zeros(1)},
                     model, 'f.pth', 'M', allow_unexpected=True)
    with pytest.raises(DataValidationError, match='missing keys: 1'):
        check_state_dict({'a.w': torch.zeros(4, 2)}, model, 'f.pth', 'M', allow_unexpected=True)


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'not_a_dict'])
def test_generator_loader_refuses_bad_files(kind, tiny_gan, tmp_path):
    path, pattern = bad_checkpoints(tmp_path)[kind]
    with pytest.raises(DataValidationError, match=pattern):
        load_generator(tiny_gan[0], path)


def test_generator_of_a_distributed_run_loads(tiny_gan, tmp_path):
    """tools/dist_train.sh saves the DDP-wrapped generator as generator.module.*;
    with the GAN's training overrides the generator is built as trained."""
    ref = load_generator(*tiny_gan)
    state = torch.load(tiny_gan[1], map_location='cpu')
    state['state_dict'] = {k.replace('generator.', 'generator.module.', 1): v
                           for k, v in state['state_dict'].items()}
    path = str(tmp_path / 'ddp.pth')
    torch.save(state, path)
    gen = load_generator(tiny_gan[0], path)
    for (k, a), b in zip(ref.state_dict().items(), gen.state_dict().values()):
        assert torch.equal(a, b), k
    with pytest.raises(DataValidationError, match='does not fit the generator'):
        load_generator(tiny_gan[0], path, cfg_options={'model.generator.style_channels': 32})


def test_pix2pixhd_loader_refuses_a_foreign_generator(tiny_gan, tmp_path):
    from ganseg_mm.ganaug.renderer import load_pix2pixhd
    path, pattern = bad_checkpoints(tmp_path)['truncated']
    with pytest.raises(DataValidationError, match=pattern):
        load_pix2pixhd(PIX2PIXHD_DEMO, path)
    # a StyleGAN2 checkpoint: generator weights, but of another network
    with pytest.raises(DataValidationError, match=r'gan.pth: does not fit the generator of '
                       r'.*pix2pixhd_demo.py \(wrong class count or wrong architecture\): '
                       'missing keys: .*unexpected keys'):
        load_pix2pixhd(PIX2PIXHD_DEMO, tiny_gan[1])


def _interpreter_cfg(tiny_gan):
    return Config(dict(model=dict(
        type='DatasetGANInterpreter', gan_config=tiny_gan[0],
        head=dict(type='DatasetGANInterpreterHead', num_classes=3, num_members=2))))


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'empty', 'not_a_dict'])
def test_interpreter_loader_refuses_bad_files(kind, tiny_gan, tmp_path):
    from ganseg_mm.datasetgan.interpreter import load_interpreter
    path, pattern = bad_checkpoints(tmp_path)[kind]
    with pytest.raises(DataValidationError, match=pattern):
        load_interpreter(_interpreter_cfg(tiny_gan), path)


def test_interpreter_loader_refuses_a_foreign_checkpoint(tiny_gan, tmp_path):
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    from ganseg_mm.datasetgan.interpreter import load_interpreter
    cfg = _interpreter_cfg(tiny_gan)
    with pytest.raises(DataValidationError, match=r'gan.pth: not a DatasetGAN interpreter '
                       r'checkpoint \(no head.members.0.\d+.weight\)'):
        load_interpreter(cfg, tiny_gan[1])  # the GAN's checkpoint
    with DefaultScope.overwrite_default_scope('mmseg'):
        sd = MODELS.build(dict(cfg.model, gan_checkpoint=None)).state_dict()
    sd = {k: v for k, v in sd.items() if not k.startswith('generator.conv1')}
    sd['head.extra'] = torch.zeros(1)  # the ensemble fits, the rest does not
    path = str(tmp_path / 'interp.pth')
    torch.save(dict(state_dict=sd), path)
    with pytest.raises(DataValidationError, match=r'interp.pth: does not fit the interpreter '
                       r'of the config: missing keys: \d+ \(e.g. generator.conv1.*unexpected '
                       r'keys: 1 \(e.g. head.extra\)'):
        load_interpreter(cfg, path)
    os.makedirs(tmp_path / 'wd')
    with open(tmp_path / 'wd' / 'last_checkpoint', 'w') as f:
        f.write(str(tmp_path / 'wd' / 'iter_9.pth'))  # a work dir whose checkpoint is gone
    with pytest.raises(DataValidationError, match='iter_9.pth: checkpoint not found'):
        load_interpreter(cfg, str(tmp_path / 'wd'))
