"""Impossible numbers in the tools' arguments are argparse usage errors (exit
status 2, the argument named), not tracebacks; the argparse types of
ganseg_mm.utils.cli, one per kind."""
import argparse
import importlib.util
import math
import os.path as osp

import pytest

from ganseg_mm.utils.cli import (fraction_below_one, nonnegative_int, positive_float,
                                 positive_fraction, positive_int)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('kind,good,bad', [
    (positive_int, {'1': 1, '16': 16}, ['0', '-3', '1.5', 'x', '']),
    (nonnegative_int, {'0': 0, '7': 7}, ['-1', '2.0', 'nan']),
    (positive_float, {'0.5': 0.5, '3': 3.0}, ['0', '-1e-3', 'nan', 'inf', 'x']),
    (positive_fraction, {'1': 1.0, '0.7': 0.7}, ['0', '1.01', '-0.5', 'nan', 'inf']),
    (fraction_below_one, {'0': 0.0, '0.1': 0.1}, ['1', '-0.1', '1.5', 'nan']),
])
def test_number_kinds(kind, good, bad, capsys):
    assert {t: kind(t) for t in good} == good
    p = argparse.ArgumentParser()
    p.add_argument('--x', type=kind)
    for text in bad:
        with pytest.raises(SystemExit) as e:
            p.parse_args([f'--x={text}'])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert 'argument --x: must be ' in err and repr(text) in err, err


def _parse(rel, argv):
    spec = importlib.util.spec_from_file_location('numeric_args_tool', osp.join(REPO, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.parse_args(argv)


GEN = ('tools/datasetgan/generate_samples.py', ['gan.py', 'gan.pth', 'out'])
COMPOSE = ('tools/ganaug/compose_labels.py', ['seg.py', '--repo', 'r', '--out', 'o'])
SYNTH = ('tools/ganaug/synthesize.py', ['gan.py', 'gan.pth', '--root', 'r'])
EXTRACT = ('tools/ganaug/extract_classes.py', ['seg.py', '--out', 'o'])
ANNOTATE = ('tools/datasetgan/annotate_with_segmenter.py', ['seg.py', 'seg.pth', 's', 'o'])


@pytest.mark.parametrize('tool,extra,arg', [
    (GEN, ['--num', '0'], '--num'),
    (GEN, ['--num', '-4'], '--num'),
    (GEN, ['--truncation', '0'], '--truncation'),
    (GEN, ['--truncation', '1.5'], '--truncation'),
    (GEN, ['--grid-cols', '0'], '--grid-cols'),
    (COMPOSE, ['--num', '0'], '--num'),
    (COMPOSE, ['--num', '-1'], '--num'),
    (COMPOSE, ['--classes', '12', '-1'], '--classes'),
    (COMPOSE, ['--pastes', '-1', '3'], '--pastes'),
    (COMPOSE, ['--pastes', '5', '2'], '--pastes'),
    (COMPOSE, ['--paste-fraction', '0'], '--paste-fraction'),
    (COMPOSE, ['--paste-fraction', '1.5'], '--paste-fraction'),
    (COMPOSE, ['--scale-range', '0', '1'], '--scale-range'),
    (COMPOSE, ['--scale-range', '1.25', '0.8'], '--scale-range'),
    (COMPOSE, ['--seed', '-1'], '--seed'),
    (COMPOSE, ['--target', '{"16": -2}'], '--target'),
    (COMPOSE, ['--target', '{"-1": 2}'], '--target'),
    (COMPOSE, ['--target', '[1, 2]'], '--target'),
    (SYNTH, ['--batch-size', '0'], '--batch-size'),
    (COMPOSE, ['--size', '0', '256'], '--size'),
    (SYNTH, ['--shard', '3/2'], '--shard'),
    (SYNTH, ['--shard', '2/2'], '--shard'),
    (SYNTH, ['--shard', '0/0'], '--shard'),
    (EXTRACT, ['--min-area', '0'], '--min-area'),
    (EXTRACT, ['--min-area', '-5'], '--min-area'),
    (ANNOTATE, ['--num', '0'], '--num'),
    (ANNOTATE, ['--scale', '256x0'], '--scale'),
    (ANNOTATE, ['--scale', '256'], '--scale'),
])
def test_impossible_numbers_are_usage_errors(tool, extra, arg, capsys):
    rel, argv = tool
    with pytest.raises(SystemExit) as e:
        _parse(rel, argv + extra)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert f': error: argument {arg}: must be' in err[-1], err
    assert not any('Traceback' in line for line in err)


def test_good_numbers_pass():
    a = _parse(GEN[0], GEN[1] + ['--num', '3', '--truncation', '1'])
    assert (a.num, a.truncation) == (3, 1.0)
    a = _parse(COMPOSE[0], COMPOSE[1] + ['--pastes', '0', '0', '--scale-range', '1', '1',
                                         '--target', '{"16": 0, "17": 8}', '--classes', '0'])
    assert a.pastes == [0, 0] and a.target == {16: 0.0, 17: 8.0} and a.classes == [0]
    assert _parse(COMPOSE[0], COMPOSE[1]).target == 'sqrt'
    a = _parse(SYNTH[0], SYNTH[1] + ['--shard', '1/2'])
    assert a.shard == (1, 2) and a.batch_size == 8
    assert _parse(COMPOSE[0], COMPOSE[1] + ['--size', '64', '128']).size == [64, 128]
    assert _parse(ANNOTATE[0], ANNOTATE[1]).scale == (256, 128)
    assert _parse(EXTRACT[0], EXTRACT[1]).min_area == 16
    assert not math.isnan(_parse(GEN[0], GEN[1]).truncation)
