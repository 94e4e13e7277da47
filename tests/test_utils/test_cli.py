"""The tools' shared CLI helpers: one exit for bad data and bad configs, shards."""
import argparse

import pytest

from ganseg_mm.utils.cli import resolve_shard, run_tool, shard_arg
from ganseg_mm.utils.errors import ConfigError, DataValidationError


@pytest.mark.parametrize('text', ['2/2', '3/2', '1', 'a/b', '0/0', '-1/2'])
def test_bad_shard_is_a_usage_error(text, capsys):
    p = argparse.ArgumentParser()
    p.add_argument('--shard', type=shard_arg)
    with pytest.raises(SystemExit) as e:
        p.parse_args(['--shard', text])
    assert e.value.code == 2
    assert '--shard' in capsys.readouterr().err


def test_shard_values(monkeypatch):
    assert shard_arg('1/4') == (1, 4)
    monkeypatch.setenv('RANK', '3')
    monkeypatch.setenv('WORLD_SIZE', '8')
    assert resolve_shard(None) == (3, 8)
    assert resolve_shard((0, 2)) == (0, 2)


def test_run_tool_bad_data_is_one_line_exit_2(capsys):
    def body(path):
        raise DataValidationError(f'{path}: broken')

    assert run_tool(body, 'x.png') == 2
    assert capsys.readouterr().err == 'error: x.png: broken\n'
    assert run_tool(lambda: None) == 0


def test_run_tool_config_error_is_one_line_exit_2(capsys):
    def body(ratio):
        raise ConfigError(f'ratio must be in [0, 1), got {ratio}')

    assert run_tool(body, 2) == 2
    assert capsys.readouterr().err == 'error: ratio must be in [0, 1), got 2\n'


def test_run_tool_leaves_other_errors_alone():
    def body():
        raise ValueError('a bug, not a config')

    with pytest.raises(ValueError, match='a bug'):
        run_tool(body)
