"""Interrupted runs: killed with SIGKILL, or stopped with SIGINT/SIGTERM, a forecast resumes from
its checkpoints and ends with exactly the metrics of a run that was never interrupted."""

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
