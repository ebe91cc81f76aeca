"""Interrupted runs: killed (SIGKILL), or stopped with SIGINT/SIGTERM inside an epoch, a run
resumes from its checkpoints and ends with exactly the metrics of a run that was never
interrupted: a forecast of one series and of many, a text model trained for --steps on streamed
batches, a sequence classifier, a task.

Every stop comes at a point the run itself reaches (tests/stopping.py: the first step after an
epoch checkpoint), so no run can finish before it. In-process runs go through ``cli.main``
(:class:`stopping.Killed` stands for SIGKILL there); the slow tier sends the real signals to a
real ``rnnkit`` process and reads its real exit code and stderr.
"""

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli.app import main
from stopping import KILL, Killed, stop_run

STOPPING = Path(__file__).with_name("stopping.py")
RUNTIME = ["--no-progress", "--threads", "1"]
FORECAST = ["forecast", "--epochs", "3", "--patience", "0", "--hidden-size", "8",
            "--lookback", "20", "--epoch-batches", "4", *RUNTIME]
INTERRUPTED = 130  # 128 + SIGINT, for SIGTERM too


def _scores(out: Path, keys=("model", "naive", "drift")) -> dict:
    metrics = json.loads((out / "metrics.json").read_text())
    if "val_bleu" in keys:  # the translator's per-epoch score, beside timings that differ
        metrics["val_bleu"] = [record["val_bleu"] for record in metrics["history"]]
    return {key: metrics[key] for key in keys}


def _run(flags: list[str], out: Path, *extra: str) -> None:
    assert main([*flags, "--out", str(out), *extra]) == 0


def _stop(flags: list[str], out: Path, how, capsys) -> None:
    """Run ``flags`` into ``out`` and stop it after its first epoch checkpoint: killed, or by
    a signal that ends it with the one-line notice and exit code 130."""
    with stop_run(how, after_checkpoints=1) as stop:
        if how == KILL:
            with pytest.raises(Killed):
                main([*flags, "--out", str(out)])
        else:
            capsys.readouterr()
            assert main([*flags, "--out", str(out)]) == INTERRUPTED
            err = capsys.readouterr().err
            assert err.startswith("rnnkit: interrupted: ") and err.count("\n") == 1, err
    assert stop["stopped"], "the run ended before its first step after a checkpoint"
    assert not (out / "metrics.json").exists()


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    _run(FORECAST, out)
    return _scores(out)


@pytest.mark.parametrize("how", [KILL, signal.SIGINT, signal.SIGTERM],
                         ids=["killed", "SIGINT", "SIGTERM"])
def test_a_stopped_forecast_resumes_to_the_uninterrupted_metrics(tmp_path, straight, how,
                                                                 capsys):
    _stop(FORECAST, tmp_path, how, capsys)
    _run(FORECAST, tmp_path, "--resume")
    assert _scores(tmp_path) == straight


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM],
                         ids=["SIGKILL", "SIGINT", "SIGTERM"])
def test_a_real_process_stopped_by_a_signal_resumes_to_the_uninterrupted_metrics(
        tmp_path, straight, sig):
    """The process is the point: SIGKILL leaves no chance to clean up, and the exit code and
    the one line on stderr are what a shell sees."""
    child = subprocess.run([sys.executable, str(STOPPING), sig.name, *FORECAST,
                            "--out", str(tmp_path)], capture_output=True, text=True,
                           timeout=300)
    if sig == signal.SIGKILL:
        assert child.returncode == -signal.SIGKILL, child.stderr
    else:
        assert child.returncode == INTERRUPTED, child.stderr
        assert child.stderr.startswith("rnnkit: interrupted: "), child.stderr
        assert child.stderr.count("\n") == 1, child.stderr
    assert not (tmp_path / "metrics.json").exists()
    _run(FORECAST, tmp_path, "--resume")
    assert _scores(tmp_path) == straight


def _panel(path: Path) -> Path:
    """Three series in long format (id, date, value)."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=300, freq="D")
    frames = [pd.DataFrame({"id": name, "date": dates,
                            "value": 50 + np.cumsum(rng.normal(size=300)) + 5 * k})
              for k, name in enumerate("ABC")]
    pd.concat(frames).to_csv(path, index=False)
    return path


def _text(path: Path) -> Path:
    path.write_text("the quick brown fox jumps over the lazy dog.\n" * 120)
    return path


def _pairs(path: Path) -> Path:
    """Toy English-French pairs: numbers of animals."""
    animals = {"cats": "chats", "dogs": "chiens", "birds": "oiseaux", "fish": "poissons"}
    path.write_text("".join(f"I see {n} {a}.\tJe vois {n} {f}.\n" for n in range(60)
                            for a, f in animals.items()), encoding="utf-8")
    return path


RUNS = {  # name: (flags, the metrics that must come back the same, the stop)
    "many series": (lambda tmp: ["forecast", "--data", str(_panel(tmp / "panel.csv")),
                                 "--id-column", "id", "--target", "value", "--epochs", "3",
                                 "--patience", "0", "--hidden-size", "8", "--lookback", "20",
                                 "--epoch-batches", "4"],
                    ("model", "naive", "series"), KILL),
    # ~10 chunks an epoch: --steps 36 ends inside the fourth epoch
    "text, --steps": (lambda tmp: ["text", "train", "--corpus", str(_text(tmp / "c.txt")),
                                   "--steps", "36", "--batch-size", "4", "--seq-len", "128",
                                   "--hidden-size", "16", "--num-layers", "1",
                                   "--sample-length", "20"],
                      ("val_loss", "train_loss", "steps"), signal.SIGINT),
    "classify": (lambda tmp: ["classify", "--epochs", "3", "--hidden-size", "8",
                              "--ensemble", "2", "--patch", "4"],
                 ("model", "nn1_euclidean"), KILL),
    "translate": (lambda tmp: ["translate", "train", "--data", str(_pairs(tmp / "p.tsv")),
                               "--epochs", "3", "--vocab-size", "60", "--embedding-size", "8",
                               "--hidden-size", "8", "--batch-size", "32", "--examples", "1"],
                  ("model", "word_by_word", "val_bleu"), KILL),
    "task": (lambda tmp: ["task", "adding", "--length", "10", "--steps", "120",  # 2 epochs
                          "--hidden-size", "8"],
             ("test_mse", "best_epoch"), KILL),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_every_training_command_resumes_to_the_uninterrupted_metrics(tmp_path, name, capsys):
    make_flags, keys, how = RUNS[name]
    flags = [*make_flags(tmp_path), *RUNTIME]
    _run(flags, tmp_path / "straight")
    _stop(flags, tmp_path / "stopped", how, capsys)
    _run(flags, tmp_path / "stopped", "--resume")
    assert _scores(tmp_path / "stopped", keys) == _scores(tmp_path / "straight", keys)
