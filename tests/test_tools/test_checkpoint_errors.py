"""Every tool that takes a checkpoint ends a missing, corrupt or foreign one with
one ``error:`` line naming the file and exit status 2 (no traceback)."""
import importlib.util
import os.path as osp
import re
import uuid

import pytest
import torch

from tests.test_utils.test_checkpoints import PIX2PIXHD_DEMO, bad_checkpoints

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_DEMO = osp.join(REPO, 'configs/baseline/deeplabv3_r18_demo.py')


def _tool(rel):
    spec = importlib.util.spec_from_file_location(f'ckpt_tool_{uuid.uuid4().hex}',
                                                  osp.join(REPO, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _one_error_line(capsys, code, pattern):
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith('error: ') and re.search(pattern, err[-1]), err
    assert not any('Traceback' in line for line in err)


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'not_a_dict'])
def test_generate_samples(kind, tiny_gan, tmp_path, capsys):
    path, pattern = bad_checkpoints(tmp_path)[kind]
    code = _tool('tools/datasetgan/generate_samples.py').main(
        [tiny_gan[0], path, str(tmp_path / 'out')])
    _one_error_line(capsys, code, pattern)


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated'])
def test_synthesize(kind, tmp_path, capsys):
    path, pattern = bad_checkpoints(tmp_path)[kind]
    code = _tool('tools/ganaug/synthesize.py').main(
        [PIX2PIXHD_DEMO, path, '--root', str(tmp_path / 'synth')])
    _one_error_line(capsys, code, pattern)


def test_synthesize_foreign_generator(tiny_gan, tmp_path, capsys):
    code = _tool('tools/ganaug/synthesize.py').main(
        [PIX2PIXHD_DEMO, tiny_gan[1], '--root', str(tmp_path / 'synth')])
    _one_error_line(capsys, code, 'gan.pth: does not fit the generator of .*pix2pixhd_demo.py')


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'no_state'])
def test_annotate_with_segmenter(kind, tmp_path, capsys):
    path, pattern = bad_checkpoints(tmp_path)[kind]
    code = _tool('tools/datasetgan/annotate_with_segmenter.py').main(
        [SEG_DEMO, path, str(tmp_path / 'samples'), str(tmp_path / 'out')])
    _one_error_line(capsys, code, pattern)


def test_annotate_with_segmenter_foreign_checkpoint(tiny_gan, tmp_path, capsys):
    """A valid torch file of another model was loaded with warnings only."""
    code = _tool('tools/datasetgan/annotate_with_segmenter.py').main(
        [SEG_DEMO, tiny_gan[1], str(tmp_path / 'samples'), str(tmp_path / 'out')])
    _one_error_line(capsys, code, r'gan.pth: does not fit the segmenter of '
                    r'.*deeplabv3_r18_demo.py: missing keys: \d+ \(e.g. backbone')


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'no_state', 'foreign'])
def test_score_alignment(kind, tiny_gan, tmp_path, capsys):
    import json
    root = tmp_path / 'synth'
    root.mkdir()
    (root / 'compose_manifest.json').write_text(json.dumps(dict(class_names=['a'] * 19)))
    if kind == 'foreign':
        path, pattern = tiny_gan[1], 'gan.pth: does not fit the segmenter of'
    else:
        path, pattern = bad_checkpoints(tmp_path)[kind]
    code = _tool('tools/ganaug/score_alignment.py').main([SEG_DEMO, path, '--root', str(root)])
    _one_error_line(capsys, code, pattern)


@pytest.mark.parametrize('kind', ['missing', 'random', 'truncated', 'empty', 'no_state'])
def test_test_tool_preflight(kind, tmp_path, capsys):
    """Checked before the config's data and the Runner (the demo data is absent here)."""
    path, pattern = bad_checkpoints(tmp_path)[kind]
    code = _tool('tools/test.py').main([SEG_DEMO, path, '--work-dir', str(tmp_path / 'wd')])
    _one_error_line(capsys, code, pattern)


def _test_tool_args(config, checkpoint, root, work_dir):
    opts = [f'{d}.dataset.data_root={root}/' for d in
            ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    return [config, checkpoint, '--work-dir', work_dir, '--cfg-options', *opts,
            f'experiment_name=ckpt_{uuid.uuid4().hex[:8]}']


def test_test_tool_foreign_checkpoint(tiny_gan, tiny_demo_root, tmp_path, capsys, monkeypatch):
    from mmengine.runner import Runner
    tested = []
    monkeypatch.setattr(Runner, 'test', lambda self: tested.append(1) or {'mIoU': 1.0})
    tool = _tool('tools/test.py')
    code = tool.main(_test_tool_args(SEG_DEMO, tiny_gan[1], tiny_demo_root, str(tmp_path / 'a')))
    _one_error_line(capsys, code, r'gan.pth: does not fit the model of .*deeplabv3_r18_demo.py: '
                    r'missing keys: \d+ \(e.g. backbone')
    assert not tested
    # the segmenter's own weights pass, also with extra keys (a UDA checkpoint's teacher)
    from mmseg.apis import init_model
    sd = init_model(SEG_DEMO, None, device='cpu').state_dict()
    sd['ema_teacher.w'] = torch.zeros(1)
    good = str(tmp_path / 'seg.pth')
    torch.save(dict(meta=dict(), state_dict=sd), good)
    assert tool.main(_test_tool_args(SEG_DEMO, good, tiny_demo_root, str(tmp_path / 'b'))) == 0
    assert tested == [1]
    # the same network trained for another class count
    sd['decode_head.conv_seg.weight'] = torch.zeros(6, *sd['decode_head.conv_seg.weight'].shape[1:])
    torch.save(dict(meta=dict(), state_dict=sd), good)
    code = tool.main(_test_tool_args(SEG_DEMO, good, tiny_demo_root, str(tmp_path / 'c')))
    _one_error_line(capsys, code, r'seg.pth: does not fit the model .*: keys of another shape '
                    r'\(file vs model\): 1 \(e.g. decode_head.conv_seg.weight \(6, ')
