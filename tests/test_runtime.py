"""Threads, devices and the process group: the policy that keeps runs from fighting."""

import json
import warnings
from dataclasses import fields

import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.cli import flags
from rnnkit.cli.app import main
from rnnkit.cli.commands import COMMANDS
from rnnkit.training.runtime import (
    WORK_PER_THREAD,
    RuntimeConfig,
    default_threads,
    recurrent_work,
    resolve_device,
    start,
    widen_threads,
)


@pytest.fixture(autouse=True)
def _keep_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_recurrent_work_counts_the_multiply_adds_of_one_step():
    # LSTM, 2 layers, bidirectional: layer 1 reads 3 inputs, layer 2 the 2H of both directions
    hidden, batch = 8, 4
    first = 2 * batch * 4 * hidden * (hidden + 3)
    second = 2 * batch * 4 * hidden * (hidden + 2 * hidden)
    assert recurrent_work("lstm", hidden, batch, 2, 3, True) == first + second
    assert recurrent_work("gru", 10, 1) == 3 * 10 * 11
    assert recurrent_work("rnn", 10, 1) == 10 * 11


@pytest.mark.parametrize("cores", [1, 2, 16, 64])
@pytest.mark.parametrize("processes", [1, 2, 4])
def test_default_threads_never_oversubscribe_and_small_models_get_one(cores, processes):
    for work in (0, 1e5, WORK_PER_THREAD, 1e8, 1e12):
        threads = default_threads(work, cores, processes)
        assert 1 <= threads <= max(1, cores // processes)
    assert default_threads(recurrent_work("lstm", 32, 64), cores, processes) == 1
    assert default_threads(1e12, cores, processes) == max(1, cores // processes)


def test_torchrun_local_world_size_divides_the_cores(monkeypatch):
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert default_threads(1e12, cores=16) == 4


def test_start_sets_the_threads_it_reports():
    runtime = start(RuntimeConfig(threads=1))
    assert torch.get_num_threads() == 1 and runtime.threads == 1
    assert runtime.record() == {"device": runtime.device, "threads": 1, "world_size": 1,
                                "backend": None}
    assert start(RuntimeConfig(), work=1e12).threads == default_threads(1e12)


def test_conformal_follows_the_largest_batch_and_never_overrides_threads(monkeypatch):
    monkeypatch.setattr("rnnkit.training.runtime.available_cores", lambda: 2)
    small = start(RuntimeConfig(), work=recurrent_work("lstm", 32, 64))
    assert small.threads == 1
    assert widen_threads(small, RuntimeConfig(), recurrent_work("lstm", 32, 120)).threads == 1
    wide = widen_threads(small, RuntimeConfig(), recurrent_work("lstm", 32, 4096))
    assert wide.threads == 2 == torch.get_num_threads()
    assert widen_threads(wide, RuntimeConfig(), 0.0) is wide  # never fewer
    pinned = start(RuntimeConfig(threads=1))
    assert widen_threads(pinned, RuntimeConfig(threads=1), 1e12).threads == 1


def test_a_forecast_job_sizes_its_largest_batch_from_its_data():
    import numpy as np
    import pandas as pd

    from rnnkit.cli.config import ForecastJob
    from rnnkit.cli.jobs.forecast import build_forecaster, validation_batch
    from rnnkit.forecast.window_models import PREDICT_BATCH

    job = ForecastJob()
    one = pd.DataFrame({"Close": np.arange(1510.0)})  # AAPL's length: 121 validation rows
    assert validation_batch(build_forecaster(job), one, job, 0) == 121  # v - H + 1, H = 1
    panel = {f"s{k}": pd.DataFrame({"value": np.arange(1000.0)}) for k in range(414)}
    many = build_forecaster(job, horizon=48, season=24, target="value", many=True)
    assert validation_batch(many, panel, job, 48) == PREDICT_BATCH  # 414 x 48 windows, capped


def test_auto_device_is_one_that_exists():
    assert resolve_device("auto") in ("cuda", "mps", "cpu")
    assert resolve_device("cpu") == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_a_missing_gpu_is_one_line_exit_2(capsys):
    with pytest.raises(InputError, match="no CUDA device"):
        resolve_device("cuda")
    assert main(["task", "adding", "--device", "cuda", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: --device cuda") and err.count("\n") == 1


def test_the_esn_refuses_a_gpu_with_the_reason(capsys):
    assert main(["esn", "--device", "cuda", "--length", "300"]) == 2
    assert "runs on the CPU only" in capsys.readouterr().err


@pytest.mark.parametrize("words", list(COMMANDS), ids=" ".join)
def test_every_command_takes_threads_and_device(words):
    names = {f.name for f, _ in flags.flat_fields(COMMANDS[words].job)}
    assert {f.name for f in fields(RuntimeConfig)} <= names


def test_a_run_records_its_threads_device_and_world(tmp_path, capsys):
    out = tmp_path / "task"
    assert main(["task", "adding", "--length", "10", "--steps", "20", "--hidden-size", "8",
                 "--threads", "1", "--device", "cpu", "--out", str(out), "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["runtime"] == {"device": "cpu", "threads": 1, "world_size": 1,
                                  "backend": None}
    assert metrics["config"]["runtime"] == {"threads": 1, "device": "cpu"}


def test_bfloat16_autocast_trains_every_cell_on_the_cpu():
    import numpy as np

    from rnnkit.nn.models import SequenceRegressor
    from rnnkit.training.batches import Batches
    from rnnkit.training.loop import TrainConfig, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 12, 2)).astype(np.float32)
    y = x[:, -1, :1] + 0.1 * rng.normal(size=(128, 1)).astype(np.float32)
    bfloat16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()  # else float32, said once
    for cell in ("rnn", "lstm", "gru"):
        torch.manual_seed(0)
        model = SequenceRegressor(2, output_size=1, cell=cell, hidden_size=16)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = train(model, Batches(x, y, 32), TrainConfig(epochs=4, amp=True))
        said = [w for w in caught if "no bfloat16 support" in str(w.message)]
        assert len(said) == (0 if bfloat16 else 1), cell
        losses = [r["train_loss"] for r in history.records]
        assert all(np.isfinite(losses)) and losses[-1] < losses[0], (cell, losses)
        assert all(p.dtype == torch.float32 for p in model.parameters())
