"""The command table, flags named back to the user, and a CLI that behaves in a pipe and under
Ctrl-C: everything in-process through ``main``."""

import importlib.abc
import os
import sys

import pytest

from rnnkit.cli import config
from rnnkit.cli.app import INTERRUPTED, SUMMARIES, as_flags, main
from rnnkit.cli.commands import COMMANDS
from rnnkit.cli.flags import add_job_arguments
from rnnkit.nn import ModelConfig

SMALL_LAYERS = ["layers", "--batch-size", "2", "--seq-len", "3", "--hidden-size", "4",
                "--repeats", "1", "--threads", "1"]


def test_the_help_table_and_the_command_table_name_the_same_commands():
    assert list(SUMMARIES) == list(COMMANDS)
    for command in COMMANDS.values():
        assert issubclass(command.job, config.Job) and callable(command.run)


def test_a_misspelt_flag_left_out_of_a_section_is_refused_when_the_job_is_defined():
    with pytest.raises(TypeError, match="hiden_size"):
        config.section(ModelConfig(), omit=("hiden_size",))
    with pytest.raises(TypeError, match="outt"):
        add_job_arguments(__import__("argparse").ArgumentParser(), config.LayersJob,
                          omit=("outt",))


@pytest.mark.parametrize(("flag", "value"), [("--hidden-size", "0"), ("--dropout", "2"),
                                             ("--recurrent-init", "spiral")])
def test_a_bad_network_setting_is_refused_before_any_data_is_read(tmp_path, capsys, flag, value):
    out = tmp_path / "out"
    code = main(["forecast", "--data", str(tmp_path / "missing.csv"), flag, value,
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"rnnkit: error: {flag} ") and "missing.csv" not in err
    assert not out.exists()


def test_library_messages_name_parameters_and_the_cli_prints_flags():
    flags = {"date_column", "lookback"}
    assert as_flags("lookback must be a positive int, got 0", flags) == (
        "--lookback must be a positive int, got 0")
    assert as_flags("a.csv: no dates; pass `date_column`", flags) == (
        "a.csv: no dates; pass --date-column")
    # a parameter the command has no flag for stays as the library wrote it
    assert as_flags("pass `n_steps`; lookback must be", flags) == "pass `n_steps`; lookback must be"


def test_a_diverged_run_tells_the_flags_to_change():
    from rnnkit._checks import TrainingDiverged

    text = as_flags(str(TrainingDiverged(3, 0, "the loss", 1.5)), {"learning_rate", "grad_clip"})
    assert "--learning-rate" in text and "--grad-clip" in text


class _ClosedPipe:
    """A stdout whose reader has gone (``| head`` after its lines): writing breaks the pipe."""

    def __init__(self) -> None:
        self.read_end, self.write_end = os.pipe()

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return self.write_end


def test_a_closed_pipe_ends_the_run_quietly(monkeypatch, capsys):
    pipe = _ClosedPipe()
    monkeypatch.setattr(sys, "stdout", pipe)
    assert main(SMALL_LAYERS) == 141  # 128 + SIGPIPE, as a tool killed by the signal
    assert "Traceback" not in capsys.readouterr().err
    os.close(pipe.read_end)
    os.close(pipe.write_end)


class _InterruptImport(importlib.abc.MetaPathFinder):
    """Ctrl-C while the command's modules (and torch) are still being imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "rnnkit.cli.commands":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_during_start_up_prints_the_one_interrupted_line(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "rnnkit.cli.commands")
    monkeypatch.setattr(sys, "meta_path", [_InterruptImport(), *sys.meta_path])
    assert main(SMALL_LAYERS) == 130
    assert capsys.readouterr().err == INTERRUPTED + "\n"
