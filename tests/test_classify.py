"""``rnnkit classify`` and ``rnnkit predict`` on a classifier, end to end on ECG200."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli.app import main

QUICK = ["--epochs", "3", "--hidden-size", "8", "--ensemble", "1", "--no-progress",
         "--threads", "1"]
ECG200 = "src/rnnkit/datasets/ECG200_TRAIN.tsv"


def _classify(out, *flags: str) -> int:
    return main(["classify", *QUICK, "--out", str(out), *flags])


@pytest.fixture(scope="module")
def attention_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("classify")
    assert _classify(out, "--pooling", "attention") == 0
    return out


def test_a_run_writes_its_files_and_scores_the_published_baselines(attention_run, capsys):
    metrics = json.loads((attention_run / "metrics.json").read_text())
    for who in ("model", "majority", "nn1_euclidean"):
        assert {"accuracy", "balanced_accuracy", "macro_f1", "log_loss", "per_class"} <= set(
            metrics[who]), who
        assert set(metrics[who]["per_class"]) == {"-1", "1"}
    # the UCR archive's published 1-NN Euclidean error on ECG200 is 0.12; 64 of 100 are normal
    assert metrics["nn1_euclidean"]["accuracy"] == 0.88
    assert metrics["nn1_euclidean"]["log_loss"] is None
    assert metrics["majority"]["accuracy"] == 0.64
    assert metrics["train"]["sequences"] == metrics["test"]["sequences"] == 100
    predictions = pd.read_csv(attention_run / "predictions.csv")
    assert list(predictions.columns) == ["id", "true", "predicted", "p_-1", "p_1"]
    np.testing.assert_allclose(predictions[["p_-1", "p_1"]].sum(axis=1), 1.0)
    assert (predictions["predicted"] == predictions["true"]).mean() == pytest.approx(
        metrics["model"]["accuracy"])
    for name in ("confusion.png", "attention.png", "loss.png", "model/config.json"):
        assert (attention_run / name).is_file(), name


def test_predict_classifies_with_the_saved_model_as_the_run_did(attention_run, tmp_path,
                                                                 capsys):
    assert main(["predict", "--model", str(attention_run / "model"),
                 "--out", str(tmp_path / "p.csv")]) == 0
    assert "accuracy" in capsys.readouterr().out
    again = pd.read_csv(tmp_path / "p.csv")
    before = pd.read_csv(attention_run / "predictions.csv")
    pd.testing.assert_frame_equal(again, before, rtol=1e-6)
    assert main(["predict", "--model", str(attention_run / "model"), "--steps", "3"]) == 2
    assert "--steps does not apply" in capsys.readouterr().err


def test_the_echo_state_network_classifies_too(tmp_path):
    assert main(["classify", "--model", "esn", "--units", "100", "--no-progress",
                 "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # seed 0 measured accuracy 0.80, balanced 0.771 (seeds 0-4: 0.80-0.81, 0.771-0.785);
    # the majority class scores 0.64 (balanced 0.5)
    assert metrics["classifier"] == "esn" and metrics["model"]["accuracy"] >= 0.78
    assert metrics["model"]["balanced_accuracy"] >= 0.75
    assert not (tmp_path / "attention.png").exists()


def test_a_long_format_file_without_a_test_file_is_split_by_class(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for k in range(40):
        length = int(rng.integers(10, 20))
        t = np.arange(length)
        wave = np.sin(t * (0.5 if k % 2 else 1.5))
        rows += [{"case": f"s{k}", "step": int(i), "a": float(v), "b": float(-v),
                  "label": "fast" if k % 2 == 0 else "slow"} for i, v in zip(t, wave, strict=True)]
    path = tmp_path / "long.csv"
    pd.DataFrame(rows).sample(frac=1.0, random_state=0).to_csv(path, index=False)
    assert _classify(tmp_path / "out", "--data", str(path), "--patch", "2") == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["test"]["sequences"] == 10 and metrics["train"]["features"] == ["a", "b"]
    assert metrics["test"]["class_counts"] == {"fast": 5, "slow": 5}


def _write_ucr(path, rows) -> str:
    path.write_text("".join("\t".join(map(str, row)) + "\n" for row in rows))
    return str(path)


@pytest.mark.parametrize(("rows", "test_rows", "message"), [
    ([[1, 0.1, 0.2]] * 5, None, "single class|fewer than 2 classes|one class"),
    ([[1, 0.1, 0.2], [2, 0.3, 0.1]] * 3, [[3, 0.1, 0.2]], "never seen in training|not in"),
    ([[0.5, 0.1, 0.2], [1.5, 0.3, 0.1]] * 3, None, "not categorical"),
    ([[1, 0.1, 0.2], [2, 0.3]] * 3, None, "ragged|fields"),
    ([[1, 0.1], [2, 0.3]] * 3, None, "at least two steps|shorter"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, rows, test_rows, message):
    train = _write_ucr(tmp_path / "train.tsv", rows)
    test = _write_ucr(tmp_path / "test.tsv", test_rows or rows)
    assert _classify(tmp_path / "out", "--data", train, "--test-data", test) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnkit: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_reservoir_flags_are_refused_for_a_network(tmp_path, capsys):
    assert _classify(tmp_path, "--units", "50") == 2
    assert "--units does not apply" in capsys.readouterr().err


def test_a_diverging_run_stops_with_one_line(tmp_path, capsys):
    # an IRNN (ReLU, W_hh = I) with plain SGD at rate 10 and no clipping blows up at once
    assert _classify(tmp_path, "--model", "rnn", "--nonlinearity", "relu", "--recurrent-init",
                     "identity", "--init", "he", "--hidden-size", "32", "--optimizer", "sgd",
                     "--learning-rate", "10", "--grad-clip", "0", "--patch", "1") == 2
    assert "training diverged" in capsys.readouterr().err
