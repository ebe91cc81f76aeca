"""Interrupted runs: killed with SIGKILL, or stopped with SIGINT/SIGTERM, a run resumes from its
checkpoints and ends with exactly the metrics of a run that was never interrupted: a forecast
of one series and of many, a text model trained for --steps on streamed batches, a sequence
classifier, a task."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FLAGS = ["forecast", "--epochs", "8", "--patience", "0", "--hidden-size", "16",
         "--no-progress", "--threads", "1"]


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnnkit", *FLAGS, "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=300)


def _start_and_stop(out: Path, sig: int, after_epochs: int) -> tuple[int, str]:
    """Start the run; send ``sig`` once ``after_epochs`` epochs are checkpointed. Returns the
    exit code and stderr."""
    child = subprocess.Popen([sys.executable, "-m", "rnnkit", *FLAGS, "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    history = out / "checkpoints" / "m0" / "history.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if history.is_file() and len(history.read_text().splitlines()) >= after_epochs:
            child.send_signal(sig)
            break
        time.sleep(0.02)
    _, err = child.communicate(timeout=120)
    return child.returncode, err


def _scores(out: Path) -> dict:
    metrics = json.loads((out / "metrics.json").read_text())
    return {who: metrics[who] for who in ("model", "naive", "drift")}


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    assert _run(out).returncode == 0
    return _scores(out)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGKILL, -signal.SIGKILL),
                                           (signal.SIGINT, 130), (signal.SIGTERM, 130)])
def test_a_stopped_forecast_resumes_to_the_uninterrupted_metrics(tmp_path, straight, sig, code):
    returncode, err = _start_and_stop(tmp_path, sig, after_epochs=2)
    if returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert returncode == code
    if sig != signal.SIGKILL:
        assert err.startswith("rnnkit: interrupted: ") and err.count("\n") == 1, err
    assert not (tmp_path / "metrics.json").exists()
    resumed = _run(tmp_path, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _scores(tmp_path) == straight


def _panel(path: Path) -> Path:
    """Three series in long format (id, date, value)."""
    import numpy as np
    import pandas as pd

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


RUNS = {  # name: (flags, the checkpoint history that shows an epoch is done, scores)
    "many series": (lambda tmp: ["forecast", "--data", str(_panel(tmp / "panel.csv")),
                                 "--id-column", "id", "--target", "value", "--epochs", "6",
                                 "--patience", "0", "--hidden-size", "8", "--lookback", "20"],
                    "checkpoints/m0/history.jsonl", ("model", "naive")),
    "text, --steps": (lambda tmp: ["text", "train", "--corpus", str(_text(tmp / "c.txt")),
                                   "--steps", "36", "--batch-size", "4", "--seq-len", "64",
                                   "--hidden-size", "16", "--num-layers", "1",
                                   "--sample-length", "20"],
                      "checkpoints/history.jsonl", ("val_loss", "train_loss", "steps")),
    "classify": (lambda tmp: ["classify", "--epochs", "12", "--hidden-size", "8",
                              "--ensemble", "2", "--patch", "4"],
                 "checkpoints/m0/history.jsonl", ("model", "nn1_euclidean")),
    "task": (lambda tmp: ["task", "adding", "--length", "10", "--steps", "600",
                          "--hidden-size", "8"],
             "checkpoints/history.jsonl", ("test_mse", "best_epoch")),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_every_training_command_resumes_to_the_uninterrupted_metrics(tmp_path, name):
    make_flags, history, keys = RUNS[name]
    flags = [*make_flags(tmp_path), "--no-progress", "--threads", "1"]

    def run(out, *extra):
        return subprocess.run([sys.executable, "-m", "rnnkit", *flags, "--out", str(out),
                               *extra], capture_output=True, text=True, timeout=300)
    assert run(tmp_path / "straight").returncode == 0
    out = tmp_path / "stopped"
    child = subprocess.Popen([sys.executable, "-m", "rnnkit", *flags, "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if (out / history).is_file() and len((out / history).read_text().splitlines()) >= 2:
            child.kill()
            break
        time.sleep(0.01)
    child.communicate(timeout=60)
    if child.returncode == 0:
        pytest.skip("the run finished before it could be killed")
    resumed = run(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    straight, again = (json.loads((d / "metrics.json").read_text())
                       for d in (tmp_path / "straight", out))
    for key in keys:
        assert again[key] == straight[key], key

