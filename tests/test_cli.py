"""The rnnkit command: fast help, every command reachable, one-line errors with exit code 2."""

import re
import subprocess
import sys

import numpy as np
import pytest

from rnnkit.cli import config, flags
from rnnkit.cli.app import SUMMARIES, main
from rnnkit.cli.commands import COMMANDS, Command
from rnnkit.cli.flags import flat_fields
from rnnkit.io.files import save_model


def test_help_lists_every_command_without_importing_torch():
    code = ("import sys, contextlib, io\n"
            "from rnnkit.cli.app import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
            "    main(['--help'])\n"
            "print('torch' in sys.modules)\n"
            "print(out.getvalue())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    torch_loaded, help_text = result.stdout.split("\n", 1)
    assert torch_loaded == "False"
    for words in SUMMARIES:
        assert words[0] in help_text


def _leaves() -> list[tuple[list[str], Command]]:
    return [(list(words), command) for words, command in COMMANDS.items()]


def _flags(command: Command) -> list:
    """(field, default) of every flag a command has: its job's, and a study's for `tune`."""
    job_cls = command.job
    if command.tunes:
        return flat_fields(job_cls, omit=("out", "resume")) + flat_fields(config.TuneJob)
    return flat_fields(job_cls)


def test_every_flag_has_help_with_its_allowed_values_under_a_described_heading(capsys):
    leaves = _leaves()
    assert ["text", "generate"] in [words for words, _ in leaves]
    assert ["tune", "forecast"] in [words for words, _ in leaves]
    for argv, command in leaves:
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        raw = capsys.readouterr().out
        text = " ".join(raw.split())  # undo argparse's line wrapping
        text = re.sub(r"(\w)- (\w)", r"\1-\2", text)  # and its breaks after a hyphen
        for f, default in _flags(command):
            choices = f.metadata.get("choices")
            allowed = f"; one of: {', '.join(choices)}" if choices else ""
            assert f"{f.metadata['help']}{allowed} (default: {default})" in text, (argv, f.name)
        headings = re.findall(r"\n\n([a-z][\w ]*):\n  (\S)", raw)  # "title:\n  description"
        headings = [(t, first) for t, first in headings if t not in ("options",
                                                                   "positional arguments")]
        titles = {title for title, _ in headings}
        assert "output" in titles or argv in (["layers"], ["predict"], ["text", "generate"],
                                              ["speech", "transcribe"], ["translate"])
        assert "runtime" in titles, argv
        assert all(first != "-" for _, first in headings), argv  # every heading is described


def test_a_misspelt_flag_value_or_command_gets_one_line_and_a_suggestion(capsys):
    for argv, suggestion in ((["forecast", "--hiden-size", "3"], "--hidden-size"),
                             (["forecast", "--model", "lstn"], "lstm"),
                             (["forcast"], "forecast")):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count("\n") == 1, err
        assert f"did you mean {suggestion}?" in err


def test_flags_that_do_nothing_for_the_model_are_refused_or_noted(tmp_path, capsys):
    assert main(["forecast", "--model", "esn", "--epochs", "3"]) == 2
    assert "--epochs does not apply: --model esn has no network" in capsys.readouterr().err
    assert main(["forecast", "--units", "50"]) == 2
    assert "--units does not apply" in capsys.readouterr().err
    assert main(["forecast", "--model", "hybrid", "--features", "level"]) == 2
    assert "--features does not apply: --model hybrid reads the target alone" in (
        capsys.readouterr().err)
    assert main(["forecast", "--level-penalty", "5"]) == 2
    assert "--level-penalty does not apply: it shapes --model esn or --model hybrid" in (
        capsys.readouterr().err)
    toml = tmp_path / "run.toml"
    toml.write_text("units = 50\nhidden_size = 8\nepochs = 1\nepoch_batches = 1\n")
    assert main(["forecast", "--config", str(toml), "--no-progress", "--threads", "1",
                 "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "rnnkit: note: --config" in err and "ignoring units" in err


def test_every_command_has_a_runner_and_unique_flags():
    for words, command in _leaves():
        assert command.run.__module__.startswith("rnnkit.cli.jobs."), words
        names = [f.name for f, _ in _flags(command)]
        assert len(names) == len(set(names)), (words, names)  # a section never shadows a flag


def test_a_section_flag_reaches_the_library_config(tmp_path):
    parser_args = ["--hidden-size", "12", "--learning-rate", "0.01", "--model", "gru"]
    from rnnkit.cli.app import command_parser

    args = command_parser(["forecast"], config.ForecastJob).parse_args(parser_args)
    job = flags.job_from_args(config.ForecastJob, args)
    assert job.network.hidden_size == 12 and job.train.learning_rate == 0.01
    assert job.network.cell == "lstm"  # omitted from the flags: --model sets the cell
    from rnnkit.cli.jobs.forecast import build_forecaster

    forecaster = build_forecaster(job)
    assert forecaster.model.network.cell == "gru" and forecaster.model.network.hidden_size == 12


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
    assert capsys.readouterr().err == "rnnkit: error: --hidden-size must be a positive int, got 0\n"


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "rnnkit", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.startswith("rnnkit ")


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    """One small end-to-end run on the bundled AAPL data, shared by the checks below."""
    out = tmp_path_factory.mktemp("run") / "forecast"
    code = main(["forecast", "--epochs", "3", "--hidden-size", "8", "--no-progress",
                 "--future", "5", "--out", str(out)])
    return code, out


def _strict_json(path):
    """metrics.json parsed by a parser that refuses NaN and Infinity."""
    import json

    def refuse(name):
        raise ValueError(f"{path} holds {name}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_forecast_writes_every_output(forecast_run):

    import pandas as pd

    code, out = forecast_run
    assert code == 0
    metrics = _strict_json(out / "metrics.json")
    assert {"model", "naive", "snaive", "drift", "skill", "season", "significance", "encoding",
            "data", "config", "training", "seconds"} <= set(metrics)
    for who in ("model", "naive", "snaive", "drift"):
        assert {"mse", "mae", "rmse", "mape", "smape", "mase"} <= set(metrics[who])
    assert metrics["data"]["test_origins"] == 302  # the tutorial's split of 1510 days
    assert metrics["config"]["train"]["epochs"] == 3 and metrics["season"] == 5
    assert metrics["encoding"]["target_kind"] == "log_return"  # AAPL is price-like
    assert metrics["significance"]["naive"]["verdict"] in ("beats", "loses to",
                                                           "no significant difference")
    predictions = pd.read_csv(out / "predictions.csv")
    assert list(predictions.columns) == ["origin", "step", "date", "actual", "model", "network",
                                         "linear", "naive", "snaive", "drift", "lo_95", "hi_95"]
    assert len(predictions) == 302
    assert predictions["date"].iloc[0] == "2019-10-21"  # row ceil(0.8 * 1510) = 1208
    assert len(pd.read_csv(out / "future.csv")) == 5
    for png in ("forecast.png", "loss.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "model" / "weights.safetensors").exists()
    assert not list(out.rglob("*.tmp"))
    selection = metrics["selection"]  # 2 lookbacks with MSE, the better one with MAE
    assert [c["lookback"] for c in selection["candidates"]][:2] == [20, 60]
    assert len(selection["candidates"]) == 3 and selection["chosen"]["ensemble"] == 1
    histories = sorted((out / "checkpoints").glob("*/m0/history.jsonl"))
    assert len(histories) == 3
    assert all(len(h.read_text().splitlines()) == 3 for h in histories)


def test_predict_with_the_saved_model(forecast_run, capsys):
    _, out = forecast_run
    code, stdout, _ = _run(["predict", "--model", str(out / "model"), "--steps", "3"], capsys)
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == "date,Close,lo_95,hi_95" and len(lines) == 4
    assert lines[1].startswith("2020-12-31")


def test_resume_continues_from_the_last_epoch(forecast_run, capsys):
    import json

    _, out = forecast_run
    code, _, _ = _run(["forecast", "--epochs", "5", "--hidden-size", "8", "--no-progress",
                       "--out", str(out), "--resume"], capsys)
    assert code == 0
    for history in (out / "checkpoints").glob("*/m0/history.jsonl"):  # every candidate's
        epochs = [json.loads(line)["epoch"] for line in history.read_text().splitlines()]
        assert epochs == [1, 2, 3, 4, 5]


def test_predict_refuses_what_is_not_a_forecaster(forecast_run, tmp_path, capsys):
    _, out = forecast_run
    save_model(tmp_path / "text", "CharLM", {"w": __import__("torch").zeros(1)}, {})
    old = tmp_path / "old"  # a folder as rnnkit 0.1.0 wrote it: no format in the header
    old.mkdir()
    (old / "config.json").write_text('{"rnnkit_version": "0.1.0"}')
    from rnnkit.io.files import save_safetensors_atomic

    save_safetensors_atomic(old / "weights.safetensors", {"w": __import__("torch").zeros(1)},
                            {"kind": "Forecaster"})
    cases = [(out, f"{out} is a run folder; pass its model: {out / 'model'}"),
             (tmp_path / "text", "holds model kind 'CharLM' (written by rnnkit text train), "
                                 "not 'Forecaster'"),
             (old, "was written by rnnkit 0.1.0 in model format 1, which rnnkit"),
             (tmp_path / "nowhere", "no such folder")]
    for folder, message in cases:
        code, _, err = _run(["predict", "--model", str(folder)], capsys)
        assert code == 2 and err.startswith("rnnkit: error: ") and message in err, err
        assert err.count("\n") == 1


def _csv(path, rows):
    path.write_text("Date,Close\n" + "".join(f"{d},{v}\n" for d, v in rows))
    return path


@pytest.mark.parametrize(
    ("make", "flags", "message"),
    [
        (lambda p: p / "missing.csv", [], "missing.csv"),
        (lambda p: _csv(p / "bad.csv", [("2020-01-01", "1"), ("2020-01-02", "n/a")]), [],
         "bad.csv line 3: 'Close' is 'n/a'"),
        (lambda p: _csv(p / "short.csv", [(f"2020-01-{d:02d}", d) for d in range(1, 7)]), [],
         "fewer than lookback=4"),  # even the lowest lookback does not fit
        (lambda p: _csv(p / "flat.csv", [(str(d.date()), 5) for d in
                                         __import__("pandas").bdate_range("2020-01-01",
                                                                          periods=200)]),
         ["--features", "level", "--target-kind", "level"], "constant"),
        (lambda p: _csv(p / "ok.csv", [("2020-01-01", "1")]), ["--target", "Open"], "Open"),
    ],
)
def test_bad_data_is_one_line_exit_2_nothing_written(tmp_path, capsys, make, flags, message):
    out = tmp_path / "out"
    code, _, err = _run(["forecast", "--data", str(make(tmp_path)), "--out", str(out),
                         "--no-progress", "--epochs", "1", *flags], capsys)
    assert code == 2
    assert err.startswith("rnnkit: error: ") and message in err and err.count("\n") == 1
    assert not out.exists() or not any(out.iterdir())


def test_esn_on_mackey_glass_writes_every_output(tmp_path, capsys):
    import json

    import pandas as pd

    from rnnkit.reservoir.esn import ESN

    out = tmp_path / "esn"
    code, stdout, _ = _run(["esn", "--units", "100", "--length", "1500", "--horizons", "50,200",
                            "--search", "3", "--no-progress", "--out", str(out)], capsys)
    assert code == 0, stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_values"] == 300 and metrics["train_values"] == 1200
    assert metrics["nrmse"] < 1e-2 < metrics["naive_nrmse"]
    assert set(metrics["closed_loop"]) == {"50", "200"}
    assert len(pd.read_csv(out / "search.csv")) == 3
    for png in ("prediction.png", "search.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the saved model reproduces the written one-step predictions
    predictions = pd.read_csv(out / "predictions.csv")
    esn = ESN.load(out / "model")
    assert esn.get_params() == metrics["params"]
    from rnnkit.reservoir.chaos import mackey_glass
    from rnnkit.reservoir.evaluation import standardize

    series = mackey_glass(1500, discard=500)
    z, mean, std = standardize(series, 1200)
    again = esn.predict(z[:-1])[1199:, 0] * std + mean
    np.testing.assert_allclose(again, predictions["one_step"], rtol=1e-12)
    assert not list(out.rglob("*.tmp"))


def test_esn_on_a_csv_file(tmp_path, capsys):
    from rnnkit.io import load_aapl

    path = tmp_path / "aapl.csv"
    load_aapl()[["Close"]].iloc[:400].to_csv(path)
    code, stdout, _ = _run(["esn", "--data", str(path), "--units", "50", "--ridge", "1e-2",
                            "--no-select", "--horizons", "10", "--out", str(tmp_path / "out")],
                           capsys)  # the search is test_esn_select's
    assert code == 0
    assert "naive x[t+1] = x[t]" in stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--leak-rate", "1.5"], "leak-rate must lie in (0.0, 1.0], got 1.5"),
        (["--units", "0"], "units must be a positive int, got 0"),
        (["--washout", "2000"], "washout (2000) must be shorter than the sequences"),
        (["--horizons", "5,x"], "--horizons must be positive ints"),
        (["--data", "missing.csv"], "missing.csv"),
    ],
)
def test_esn_bad_input_is_one_line_exit_2(tmp_path, capsys, flags, message):
    code, _, err = _run(["esn", "--units", "20", "--out", str(tmp_path / "o"), *flags], capsys)
    assert code == 2
    assert err.startswith("rnnkit: error: ") and message in err and err.count("\n") == 1


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = _run(["forecast", "--out", str(blocker / "sub"), "--epochs", "1"], capsys)
    assert code == 2 and err.startswith("rnnkit: error: --out: cannot write to")


def test_diagnose_writes_the_gradient_curve(tmp_path, capsys):
    import json

    out = tmp_path / "diag"
    code, stdout, _ = _run(["diagnose", "--model", "rnn", "--length", "30",
                            "--spectral-radius", "0.5", "--out", str(out)], capsys)
    assert code == 0 and "lag" in stdout
    report = json.loads((out / "gradients.json").read_text())
    g = report["grad_norm"]
    assert len(g) == 30 and report["spectral_radius"] == pytest.approx(0.5, abs=1e-6)
    assert g[0] < 1e-4 * g[-1]  # radius 0.5 and tanh: the curve falls geometrically
    assert set(report["comparison"]) >= {"rnn (tanh)", "lstm (forget bias 1)", "gru",
                                         "lstm (forget bias 0)"}
    assert (out / "gradients.png").read_bytes()[:4] == b"\x89PNG"


def test_task_command_trains_and_scores(tmp_path, capsys):
    import json

    out = tmp_path / "task"
    code, stdout, _ = _run(["task", "adding", "--model", "gru", "--length", "10", "--steps",
                            "20", "--hidden-size", "8", "--no-progress", "--out", str(out)],
                           capsys)
    assert code == 0 and "solved" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"test_mse", "baseline_mse", "solved"} <= set(metrics)
    assert metrics["baseline_mse"] == pytest.approx(1 / 6, abs=0.02)
    assert (out / "learning_curve.png").exists()


def test_task_rejects_an_unknown_task(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["task", "parity"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'parity'" in capsys.readouterr().err


def _hourly_csv(path, n=24 * 12, sep=",", decimal="."):
    """An hourly series with a daily cycle and negative values, as a sensor would give."""
    rng = np.random.default_rng(0)
    times = __import__("pandas").date_range("2021-03-01", periods=n, freq="h")
    values = 10 * np.sin(2 * np.pi * np.arange(n) / 24) + rng.normal(0, 1, n) - 3
    lines = [f"timestamp{sep}value"] + [f"{t}{sep}{v:.4f}".replace(".", decimal)
                                       if decimal != "." else f"{t}{sep}{v:.4f}"
                                       for t, v in zip(times, values, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


FAST_FLAGS = ["--epochs", "2", "--hidden-size", "8", "--lookback", "24", "--loss", "mse",
              "--no-progress"]


def test_forecast_any_series_end_to_end_and_predict_remembers_its_data(tmp_path, capsys):
    data = _hourly_csv(tmp_path / "sensor.csv")
    out = tmp_path / "run"
    code, stdout, _ = _run(["forecast", "--data", str(data), "--target", "value", "--horizon",
                            "3", *FAST_FLAGS, "--out", str(out)], capsys)
    assert code == 0, stdout
    metrics = _strict_json(out / "metrics.json")
    assert metrics["season"] == 24 and metrics["encoding"]["target_kind"] == "sdiff"
    assert "takes values <= 0" in metrics["encoding"]["reason"]
    assert "takes values <= 0" in stdout and "Diebold-Mariano" in stdout
    assert len(metrics["model"]["per_step"]) == 3
    import pandas as pd

    predictions = pd.read_csv(out / "predictions.csv")
    assert predictions["step"].tolist()[:3] == [1, 2, 3]
    future = pd.read_csv(out / "future.csv")
    assert len(future) == 3  # --future defaults to the horizon
    code, stdout, _ = _run(["predict", "--model", str(out / "model")], capsys)
    assert code == 0 and stdout.splitlines()[0] == "date,value,lo_95,hi_95"  # its data, not AAPL
    assert stdout.splitlines()[1].startswith("2021-03-13 00:00:00")


def test_a_semicolon_file_with_decimal_commas_reads_as_numbers(tmp_path, capsys):
    data = _hourly_csv(tmp_path / "sensor.csv", sep=";", decimal=",")
    code, _, err = _run(["forecast", "--data", str(data), "--target", "value", *FAST_FLAGS,
                         "--out", str(tmp_path / "run")], capsys)
    assert code == 0, err
    assert _strict_json(tmp_path / "run" / "metrics.json")["data"]["rows"] == 24 * 12


def test_impossible_combinations_are_refused_before_training(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(["forecast", "--covariates", "Volume", "--horizon", "5", "--future",
                         "10", "--out", str(out), "--no-progress"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "needs future values of the covariates Volume" in err
    assert not out.exists()  # refused before the output folder is made, let alone training
    code, _, err = _run(["forecast", "--data", str(_hourly_csv(tmp_path / "s.csv")),
                         "--target", "value", "--features", "log_return", "--out", str(out),
                         "--no-progress"], capsys)
    assert code == 2 and "'log_return' takes logs of 'value'" in err and not out.exists()


def test_a_long_format_file_is_read_as_its_series(tmp_path, capsys):
    import pandas as pd

    dates = pd.bdate_range("2020-01-01", periods=150)
    rows = [f"{d.date()},{100 + k + i:.2f},{name}" for i, d in enumerate(dates)
            for k, name in ((0, "AAA"), (50, "BBB"))]
    data = tmp_path / "long.csv"
    data.write_text("date,close,Name\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    code, _, err = _run(["forecast", "--data", str(data), *FAST_FLAGS, "--out", str(out)],
                        capsys)  # no flag but the data: one model for both series
    assert code == 0, err
    assert "one series per 'Name' (long format): 2 series" in err and "--id-column Name" in err
    assert _strict_json(out / "metrics.json")["series"]["scored"] == 2
    code, _, err = _run(["forecast", "--data", str(data), "--target", "close", "--id-column",
                         "Name", "--series", "BBB", *FAST_FLAGS, "--out", str(out)], capsys)
    assert code == 0, err
    assert _strict_json(out / "metrics.json")["data"]["rows"] == 150


def _m4_files(tmp_path, n_series=4, length=120, horizon=6):
    """A small M4-format pair: ids H1.., values left-aligned (the last series shorter)."""
    rng = np.random.default_rng(0)
    width = length
    train, test = [], []
    for k in range(n_series):
        n = length - (10 if k == n_series - 1 else 0)
        t = np.arange(n + horizon)
        values = 100 * (k + 1) + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n + horizon)
        cells = [f"{v:.3f}" for v in values[:n]] + [""] * (width - n)
        train.append(f'"H{k + 1}",' + ",".join(cells))
        test.append(f'"H{k + 1}",' + ",".join(f"{v:.3f}" for v in values[n:]))
    header = lambda w: ",".join(f'"V{i}"' for i in range(1, w + 2))  # noqa: E731
    (tmp_path / "train.csv").write_text(header(width) + "\n" + "\n".join(train) + "\n")
    (tmp_path / "test.csv").write_text(header(horizon) + "\n" + "\n".join(test) + "\n")
    return tmp_path / "train.csv", tmp_path / "test.csv"


def test_m4_files_train_one_global_model_scored_as_the_competition(tmp_path, capsys):
    import pandas as pd

    train, test = _m4_files(tmp_path)
    out = tmp_path / "run"
    code, stdout, err = _run(["forecast", "--data", str(train), "--test-data", str(test),
                              *FAST_FLAGS, "--out", str(out)], capsys)
    assert code == 0, err
    metrics = _strict_json(out / "metrics.json")
    assert metrics["season"] == 24 and metrics["data"]["format"] == "m4"
    assert metrics["config"]["horizon"] == 0 and metrics["data"]["horizon"] == 6
    for who in ("model", "naive", "snaive", "naive2"):
        assert {"smape", "mase", "owa"} <= set(metrics[who])
    assert metrics["naive2"]["owa"] == pytest.approx(1.0)
    per_series = pd.read_csv(out / "per_series.csv")
    assert list(per_series["series"]) == ["H1", "H2", "H3", "H4"]
    predictions = pd.read_csv(out / "predictions.csv")
    assert len(predictions) == 4 * 6 and list(predictions.columns[:3]) == ["series", "origin",
                                                                         "step"]
    for png in ("error_by_step.png", "series.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert "naive2" in stdout and "OWA" in stdout
    assert stdout.count("series by series") == 1  # one origin per series: said once
    assert "Diebold-Mariano tests series by series: not tested (1 origins" in stdout
    selection = metrics["selection"]  # 3 seeds when they beat 1 on validation, else 1
    spread = "spread," if selection["chosen"]["ensemble"] == 3 else ""
    assert set(selection["ensemble"]) == {"1", "3"}
    assert (selection["chosen"]["ensemble"] == 3) == (selection["ensemble"]["3"]
                                                      < selection["ensemble"]["1"])
    code, stdout, _ = _run(["predict", "--model", str(out / "model")], capsys)
    assert code == 0 and stdout.splitlines()[0] == f"step,series,value,{spread}lo_95,hi_95"
    assert len(stdout.splitlines()) == 1 + 4 * 6


def test_a_long_format_file_with_an_id_column_trains_one_global_model(tmp_path, capsys):
    import pandas as pd

    dates = pd.bdate_range("2020-01-01", periods=150)
    rows = [f"{d.date()},{100 + k + i + (i % 5):.2f},{name}" for i, d in enumerate(dates)
            for k, name in ((0, "AAA"), (50, "BBB"), (90, "CCC"))]
    data = tmp_path / "long.csv"
    data.write_text("date,close,Name\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    code, stdout, err = _run(["forecast", "--data", str(data), "--target", "close",
                              "--id-column", "Name", "--series", "AAA,CCC", *FAST_FLAGS,
                              "--out", str(out)], capsys)
    assert code == 0, err
    metrics = _strict_json(out / "metrics.json")
    assert metrics["series"]["scored"] == 2 and metrics["data"]["series"] == 2
    assert "naive2" not in metrics  # several origins per series: the M4 benchmark needs one
    assert list(pd.read_csv(out / "per_series.csv")["Name"]) == ["AAA", "CCC"]


def test_series_embedding_and_static_covariates_from_the_command_line(tmp_path, capsys):
    train, test = _m4_files(tmp_path)
    static = tmp_path / "static.csv"
    static.write_text("id,size\nH1,1\nH2,2\nH3,3\nH4,5\n")
    out = tmp_path / "run"
    code, _, err = _run(["forecast", "--data", str(train), "--test-data", str(test),
                         "--series-embedding", "--static", str(static), "--ensemble", "1",
                         *FAST_FLAGS, "--out", str(out)], capsys)
    assert code == 0, err
    assert _strict_json(out / "metrics.json")["config"]["series_embedding"] is True
    static.write_text("id,size\nH1,big\n")
    code, _, err = _run(["forecast", "--data", str(train), "--test-data", str(test),
                         "--static", str(static), *FAST_FLAGS, "--out", str(out)], capsys)
    assert code == 2 and "--static:" in err and err.count("\n") == 1
