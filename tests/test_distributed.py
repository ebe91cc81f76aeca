"""Training past one process: PyTorch's DDP over gloo gives one process's step on the batch.

Two ranks each take half of every global batch; DDP averages their gradients, so a few steps
must leave the same parameters (to float tolerance) as one process given the whole batch,
for windows and for streamed chunks (truncated BPTT); a run checkpointed by two processes
resumes in one; and ``torchrun ... -m rnnkit forecast`` and ``classify`` run end to end.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from rnnkit.cli.app import main
from rnnkit.nn.init import seeded
from rnnkit.nn.models import CharLM, SequenceRegressor
from rnnkit.training.batches import Batches, StreamBatches
from rnnkit.training.loop import TrainConfig, train

WORLD = 2


class _Stop(Exception):
    """Raised after an epoch to interrupt a run (its checkpoint is already written)."""


def _windows():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(96, 10, 2)).astype(np.float32)
    return x, (x[:, -3:, 0].sum(axis=1, keepdims=True) * 0.5).astype(np.float32)


def _stream():
    ids = np.random.default_rng(4).integers(0, 7, size=2000)
    return ids[:-1], ids[1:]


def _setup(kind: str):
    """(model, batches, validation batches, config) for one of the two kinds of data."""
    if kind == "windows":
        x, y = _windows()
        with seeded(0):
            model = SequenceRegressor(2, output_size=1, cell="lstm", hidden_size=8)
        return (model, Batches(x, y, 16, seed=1), Batches(x[:32], y[:32], 32, shuffle=False),
                TrainConfig(epochs=3, batch_size=16, learning_rate=1e-2, grad_clip=0.5))
    x, y = _stream()
    with seeded(0):
        model = CharLM(7, cell="gru", hidden_size=8)
    return (model, StreamBatches(x, y, 8, 25), StreamBatches(x[:400], y[:400], 4, 25),
            TrainConfig(epochs=2, batch_size=8, learning_rate=1e-2, tbptt_steps=10))


def _worker(rank: int, kind: str, folder: str, stop_after: int) -> None:
    """One rank: train, save its parameters; rank 1 is given a checkpoint folder of its own."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/rendezvous", rank=rank,
                            world_size=WORLD)
    model, batches, val, cfg = _setup(kind)

    def stop(record):
        if record["epoch"] == stop_after:
            raise _Stop

    try:
        history = train(model, batches, cfg, val_batches=val,
                        checkpoint_dir=Path(folder) / f"ckpt{rank}", on_epoch=stop)
        torch.save({"state": model.state_dict(), "val": [r["val_loss"] for r in
                                                         history.records]},
                   Path(folder) / f"rank{rank}.pt")
    except _Stop:
        dist.barrier()  # both ranks stop at the same epoch: tear down together, not mid-op
    finally:
        dist.destroy_process_group()


def _spawn(kind: str, folder: Path, stop_after: int = 0) -> None:
    mp.start_processes(_worker, args=(kind, str(folder), stop_after), nprocs=WORLD,
                       start_method="spawn")


def _single(kind: str, **options):
    model, batches, val, cfg = _setup(kind)
    history = train(model, batches, cfg, val_batches=val, **options)
    return model, history


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["windows", "streams"])
def test_two_gloo_ranks_take_the_step_of_one_process_on_the_global_batch(kind, tmp_path):
    _spawn(kind, tmp_path)
    model, history = _single(kind)
    for rank in range(WORLD):
        saved = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(saved["state"][name], value, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(saved["val"], [r["val_loss"] for r in history.records],
                                   rtol=1e-6)
    assert (tmp_path / "ckpt0" / "last").is_dir()
    assert not (tmp_path / "ckpt1").exists()  # only rank 0 writes


@pytest.mark.slow
def test_a_run_checkpointed_by_two_processes_resumes_in_one(tmp_path):
    _spawn("windows", tmp_path, stop_after=1)
    assert not (tmp_path / "rank0.pt").exists()
    resumed, history = _single("windows", checkpoint_dir=tmp_path / "ckpt0", resume=True)
    straight, _ = _single("windows")
    assert [r["epoch"] for r in history.records] == [1, 2, 3]
    for name, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=1e-5, atol=1e-6)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun_and_one_process(tmp_path, flags: list[str]) -> tuple[dict, dict]:
    """The metrics of ``rnnkit FLAGS`` under torchrun (WORLD processes) and in one process."""
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    subprocess.run([torchrun, "--nnodes", "1", "--nproc-per-node", str(WORLD),
                    "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{_free_port()}",
                    "-m", "rnnkit", *flags, "--out", str(tmp_path / "ddp")],
                   check=True, capture_output=True, text=True, timeout=300)
    assert main([*flags, "--out", str(tmp_path / "one")]) == 0  # in this process
    return tuple(json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("ddp", "one"))


NEEDS_TORCHRUN = pytest.mark.skipif(
    shutil.which("torchrun", path=os.path.dirname(sys.executable)) is None,
    reason="torchrun is not installed beside this Python")


@pytest.mark.slow
@NEEDS_TORCHRUN
def test_torchrun_forecast_matches_one_process_and_records_the_world(tmp_path):
    ddp, one = _torchrun_and_one_process(
        tmp_path, ["forecast", "--epochs", "2", "--no-progress", "--threads", "1"])
    assert ddp["runtime"]["world_size"] == WORLD and ddp["runtime"]["backend"] == "gloo"
    assert one["runtime"]["world_size"] == 1
    saved = json.loads((tmp_path / "ddp" / "model" / "config.json").read_text())
    assert saved["config"]["run"]["world_size"] == WORLD
    assert ddp["model"]["mae"] == pytest.approx(one["model"]["mae"], rel=1e-5)


@pytest.mark.slow
@NEEDS_TORCHRUN
def test_torchrun_classify_matches_one_process(tmp_path):
    """No input noise: each rank draws its own (as dropout), one process would draw other."""
    ddp, one = _torchrun_and_one_process(
        tmp_path, ["classify", "--epochs", "3", "--ensemble", "1", "--hidden-size", "8",
                   "--input-noise", "0", "--no-progress", "--threads", "1"])
    assert ddp["runtime"]["world_size"] == WORLD and one["runtime"]["world_size"] == 1
    assert ddp["model"]["log_loss"] == pytest.approx(one["model"]["log_loss"], rel=1e-5)
    assert ddp["model"]["accuracy"] == one["model"]["accuracy"]
