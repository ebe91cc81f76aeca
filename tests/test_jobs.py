"""rnnkit.cli.jobs: each job turns its dataclass into library calls, files and a JobResult."""

import json
import math

import pytest
import torch

from rnnkit._checks import InputError
from rnnkit.cli.config import DiagnoseJob, TaskJob
from rnnkit.cli.jobs import JobResult, diagnose, task
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.tasks import copy_baseline_loss

TRAIN = TrainConfig(learning_rate=1e-2, batch_size=8, grad_clip=1.0, seed=0, patience=0)


def _task(tmp_path, **kwargs) -> TaskJob:
    return TaskJob(**{"network": ModelConfig(hidden_size=4), "train": TRAIN,
                      "out": str(tmp_path), "progress": False} | kwargs)


@pytest.mark.parametrize("model", ["rnn", "irnn", "lstm", "gru"])
def test_task_adding_tiny(tmp_path, model):
    r = task.run(_task(tmp_path, task="adding", model=model, length=6, steps=4)).metrics
    keys = {"task", "model", "length", "steps", "steps_per_epoch", "epochs", "test_mse",
            "baseline_mse", "solved", "seconds", "history", "config"}
    assert keys <= r.keys()
    assert (r["task"], r["model"], r["length"], r["steps"]) == ("adding", model, 6, 4)
    assert r["steps_per_epoch"] * r["epochs"] == 4 and len(r["history"]) == r["epochs"]
    for key in ("test_mse", "baseline_mse", "seconds"):
        assert math.isfinite(r[key])
    assert r["solved"] is False
    assert json.loads((tmp_path / "metrics.json").read_text())["test_mse"] == r["test_mse"]


def test_task_copy_tiny_and_reproducible(tmp_path):
    job = _task(tmp_path, task="copy", model="lstm", length=3, steps=3)
    r = task.run(job).metrics
    for key in ("test_loss", "test_accuracy", "baseline_loss", "seconds"):
        assert math.isfinite(r[key])
    assert 0.0 <= r["test_accuracy"] <= 1.0
    assert math.isclose(r["baseline_loss"], copy_baseline_loss(3, 10))
    again = task.run(job).metrics
    assert again["test_loss"] == r["test_loss"]
    assert [e["train_loss"] for e in again["history"]] == [e["train_loss"] for e in r["history"]]


def test_task_leaves_the_global_rng_alone(tmp_path):
    torch.manual_seed(42)
    expected = torch.rand(3)
    torch.manual_seed(42)
    task.run(_task(tmp_path, task="adding", model="gru", length=4, steps=2))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"length": 1}, "length"), ({"steps": 0}, "steps"),
])
def test_task_bad_numbers_are_named_by_the_library(tmp_path, kwargs, name):
    with pytest.raises(InputError, match=name):
        task.run(_task(tmp_path, **kwargs))


def test_diagnose_measure_is_deterministic_in_the_seed():
    network = ModelConfig(cell="gru")
    assert diagnose.measure(network, 10, seed=1) == diagnose.measure(network, 10, seed=1)
    assert (diagnose.measure(network, 10, seed=1)["grad_norm"]
            != diagnose.measure(network, 10)["grad_norm"])


def test_diagnose_job_compares_every_cell(tmp_path):
    result = diagnose.run(DiagnoseJob(model="lstm", length=12, out=str(tmp_path)))
    assert isinstance(result, JobResult)
    report = json.loads((tmp_path / "gradients.json").read_text())
    assert set(report["comparison"]) == {"rnn (tanh)", "lstm (forget bias 1)", "gru",
                                         "lstm (forget bias 0)"}
    assert report["comparison"]["lstm (forget bias 1)"] == report["grad_norm"]
    assert result.written == ["gradients.json", "gradients.png"]
    assert result.report().endswith(f"wrote {tmp_path}/gradients.json, gradients.png")
