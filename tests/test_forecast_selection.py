"""Lookback, loss and ensemble chosen on the validation part (rnnkit.forecast.selection)."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli import main
from rnnkit.forecast import Forecaster, NetworkRegressor
from rnnkit.forecast.selection import select_settings, validation_error
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig

FAST = TrainConfig(epochs=2, batch_size=32, learning_rate=3e-3, patience=0)


def _seasonal(n=400, seed=0, period=7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 50 + 5 * np.sin(2 * np.pi * t / period) + np.cumsum(rng.normal(0, 0.3, n))
    return pd.DataFrame({"y": y}, index=pd.date_range("2021-01-01", periods=n, freq="D"))


def _forecaster(loss: str = "mse", **kwargs) -> Forecaster:
    net = NetworkRegressor(ModelConfig(hidden_size=8), FAST, loss)
    return Forecaster(net, **{"lookback": 28, "horizon": 2, "target": "y"} | kwargs)


def test_the_choice_is_the_lowest_validation_error_and_is_refitted_alike():
    data = _seasonal()
    chosen, record = select_settings(_forecaster(), data, (14, 28), ("mse", "mae"))
    scores = {(c["lookback"], c["loss"]): c["validation"] for c in record["candidates"]}
    assert len(scores) == 3  # both lookbacks with MSE, then MAE at the better one
    best = min(scores, key=scores.get)
    assert (chosen.lookback, chosen.model.loss) == best
    assert record["chosen"] == {"lookback": best[0], "loss": best[1], "ensemble": 1}
    assert validation_error(chosen) == scores[best]
    again = _forecaster(best[1], lookback=best[0]).fit(data)
    assert validation_error(again) == pytest.approx(scores[best], rel=1e-6)


def test_an_ensemble_is_kept_only_when_it_lowers_the_validation_error():
    panel = {k: _seasonal(300, seed=n) for n, k in enumerate("abc")}
    chosen, record = select_settings(_forecaster(ensemble=3), panel, (14,), ("mae",))
    assert "MAE" in record["criterion"] and set(record["ensemble"]) == {"1", "3"}
    better = record["ensemble"]["3"] < record["ensemble"]["1"]
    assert chosen.ensemble == (3 if better else 1) == record["chosen"]["ensemble"]
    kept, _ = select_settings(_forecaster(ensemble=3), panel, (14,), ("mae",),
                              choose_ensemble=False)
    assert kept.ensemble == 3


def test_grown_members_are_the_ones_a_full_ensemble_trains():
    data = _seasonal()
    one = _forecaster().fit(data)
    grown = _forecaster(ensemble=2).fit(data, trained=one.models_)
    full = _forecaster(ensemble=2).fit(data)
    assert grown.models_[0] is one.models_[0]
    np.testing.assert_allclose(grown.predict_windows(data).mean,
                               full.predict_windows(data).mean, rtol=1e-6)


def test_nothing_to_choose_is_one_plain_fit():
    chosen, record = select_settings(_forecaster(), _seasonal(), (21,), ("mse",))
    assert record is None and chosen.lookback == 21 and len(chosen.models_) == 1


def test_the_job_chooses_the_same_settings_whatever_the_test_values(tmp_path):
    frame = _seasonal(500)
    edited = frame.copy()
    edited.iloc[400:, 0] = edited.iloc[400:, 0] * 3 - 40  # the test part (last 20%) only
    records = []
    for name, data in (("a", frame), ("b", edited)):
        path = tmp_path / f"{name}.csv"
        data.rename_axis("Date").to_csv(path)
        out = tmp_path / f"out_{name}"
        assert main(["forecast", "--data", str(path), "--target", "y", "--horizon", "2",
                     "--epochs", "2", "--hidden-size", "8", "--no-progress", "--threads", "1",
                     "--out", str(out)]) == 0
        records.append(json.loads((out / "metrics.json").read_text()))
    assert records[0]["selection"] == records[1]["selection"]
    assert records[0]["encoding"] == records[1]["encoding"]
    assert [c["lookback"] for c in records[0]["selection"]["candidates"]][:2] == [21, 60]
    assert records[0]["model"]["mae"] != records[1]["model"]["mae"]  # the test part did change
