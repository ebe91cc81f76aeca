"""``rnnkit classify`` chooses the network's patch and input noise by cross-validation on the
training sequences only (rnnkit.classify.selection)."""

import json

import numpy as np
import pytest

from rnnkit._checks import InputError
from rnnkit.classify import (
    NetworkClassifier,
    SequenceClassifier,
    cross_validate,
    default_candidates,
)
from rnnkit.cli import main
from rnnkit.io.sequences import LabelledSeries
from rnnkit.training.loop import TrainConfig

SMALL = ["--hidden-size", "8", "--epochs", "24", "--batch-size", "8", "--ensemble", "1",
         "--no-progress", "--threads", "1"]


def waves(per_class: int, length: int, seed: int) -> np.ndarray:
    """UCR rows (label, values): noisy sines (0) and square waves (1) of random period and
    phase, ``per_class`` of each."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    rows = []
    for k in range(2 * per_class):
        wave = np.sin(2 * np.pi * t / rng.uniform(8, 16) + rng.uniform(0, 2 * np.pi))
        shape = wave if k % 2 == 0 else np.sign(wave)
        rows.append([k % 2, *(shape + 0.1 * rng.standard_normal(length))])
    return np.asarray(rows)


def _write(path, rows: np.ndarray):
    np.savetxt(path, rows, delimiter="\t", fmt="%.6g")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Sine against square, 40/40 of length 50 for training and as many for testing."""
    folder = tmp_path_factory.mktemp("waves")
    return (_write(folder / "train.tsv", waves(40, 50, 0)),
            _write(folder / "test.tsv", waves(40, 50, 1)))


def _classify(out, train, test, *flags: str) -> dict:
    assert main(["classify", "--data", str(train), "--test-data", str(test), "--out", str(out),
                 *SMALL, *flags]) == 0
    return json.loads((out / "metrics.json").read_text())


@pytest.fixture(scope="module")
def chosen(files, tmp_path_factory):
    return _classify(tmp_path_factory.mktemp("chosen"), *files)


def test_sine_against_square_is_told_apart_by_the_chosen_setting(chosen, capsys):
    selection = chosen["selection"]
    assert selection["metric"] == "log_loss" and selection["folds"] == 3
    assert selection["epochs"] == 8  # a third of --epochs 24
    assert [c["settings"] for c in selection["candidates"]] == default_candidates(50)
    for candidate in selection["candidates"]:
        assert {"log_loss", "balanced_accuracy"} <= set(candidate)
    best = min(c["log_loss"] for c in selection["candidates"])
    assert next(c for c in selection["candidates"]
                if c["settings"] == selection["choice"])["log_loss"] == best
    assert chosen["config"]["patch"] == 0 and chosen["config"]["input_noise"] == -1.0
    assert chosen["model"]["accuracy"] >= 0.95


def test_the_test_part_moves_no_choice(files, chosen, tmp_path):
    """Other test values and flipped test labels: the same candidates' scores, the same choice."""
    rows = np.loadtxt(files[1], delimiter="\t")
    rows[:, 0] = 1 - rows[:, 0]
    rows[:, 1:] = np.random.default_rng(7).standard_normal(rows[:, 1:].shape)
    other = _classify(tmp_path, files[0], _write(tmp_path / "other_test.tsv", rows))
    without_time = [{k: v for k, v in m["selection"].items() if k != "seconds"}
                    for m in (chosen, other)]
    assert without_time[0] == without_time[1]
    assert other["model"]["accuracy"] != chosen["model"]["accuracy"]  # the test did change


def test_settings_typed_are_kept_and_not_searched(files, tmp_path, capsys):
    both = _classify(tmp_path / "both", *files, "--patch", "5", "--input-noise", "0")
    assert both["selection"]["by"] == "given"
    assert both["selection"]["choice"] == {"patch": 5, "input_noise": 0.0}
    assert "cross-validation" not in capsys.readouterr().out
    params = json.loads((tmp_path / "both" / "model" / "config.json").read_text())
    assert '"patch": 5' in json.dumps(params)
    one = _classify(tmp_path / "one", *files, "--patch", "5", "--epochs", "6")
    assert [c["settings"] for c in one["selection"]["candidates"]] == [
        {"patch": 5, "input_noise": 0.0}, {"patch": 5, "input_noise": 0.3}]
    assert one["selection"]["given"] == {"patch": 5}
    assert "chose patch 5" in capsys.readouterr().out


def test_choose_none_trains_the_plain_network(files, tmp_path):
    plain = _classify(tmp_path, *files, "--choose", "none", "--epochs", "2")
    assert plain["selection"]["choice"] == {"patch": 1, "input_noise": 0.0}
    assert "candidates" not in plain["selection"]


def test_cross_validate_needs_two_sequences_of_each_class():
    rng = np.random.default_rng(0)
    data = LabelledSeries(("a", "b", "c"), tuple(rng.standard_normal((3, 6, 1))),
                          ("p", "p", "q"), ("x",), "tiny")
    clf = SequenceClassifier(NetworkClassifier(train=TrainConfig(epochs=1)))
    with pytest.raises(InputError, match="class 'q' has 1 training sequence"):
        cross_validate(clf, data, [{"patch": 1}])
