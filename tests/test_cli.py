"""The rnnkit command: fast help, every command reachable, one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from rnnkit.cli import COMMANDS, main


def test_help_lists_every_command_without_importing_torch():
    code = ("import sys, contextlib, io\n"
            "from rnnkit.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
            "    main(['--help'])\n"
            "print('torch' in sys.modules)\n"
            "print(out.getvalue())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    torch_loaded, help_text = result.stdout.split("\n", 1)
    assert torch_loaded == "False"
    for command in COMMANDS:
        assert command in help_text


def test_every_flag_has_help(capsys):
    for command in COMMANDS:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "(default:" in text
        assert "--hidden-size" in text or command != "layers"


def test_layers_command_reports_agreement(capsys):
    code = main(["layers", "--batch-size", "4", "--seq-len", "5", "--hidden-size", "6",
                 "--repeats", "1"])
    assert code == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [r[0] for r in rows] == ["RNN"] * 3 + ["LSTM"] * 3 + ["GRU"] * 3
    for r in rows:
        assert float(r[-4]) < 1e-5  # relative difference to torch.nn


def test_config_file_then_flags(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text("batch-size = 2\nseq_len = 3\nhidden_size = 4\nrepeats = 1\n")
    assert main(["layers", "--config", str(config), "--hidden-size", "3"]) == 0
    assert "batch 2, seq 3, input 1, hidden 3" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("toml", "message"),
    [("hiden_size = 4\n", "unknown key 'hiden_size'"),
     ("hidden_size = 'big'\n", "hidden_size must be int, got 'big'"),
     ("hidden_size = \n", "is not valid TOML")],
)
def test_bad_config_is_one_line_exit_2(tmp_path, capsys, toml, message):
    config = tmp_path / "run.toml"
    config.write_text(toml)
    assert main(["layers", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: --config: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_value_is_one_line_exit_2(capsys):
    assert main(["layers", "--hidden-size", "0"]) == 2
    assert capsys.readouterr().err == "rnnkit: error: hidden_size must be a positive int, got 0\n"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "rnnkit", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.startswith("rnnkit ")
