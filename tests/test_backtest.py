"""rnnkit.forecast.backtesting.walk_forward: where each fold trains and where it is scored."""

import numpy as np
import pandas as pd
import pytest

import rnnkit.forecast.backtesting as backtest_module
from rnnkit.forecast.backtesting import walk_forward
from rnnkit.forecast.forecaster import Forecaster
from rnnkit.forecast.window_models import NetworkRegressor
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig

TINY = NetworkRegressor(ModelConfig(hidden_size=4),
                        TrainConfig(epochs=1, batch_size=64, patience=0))


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2019-01-01", periods=n, name="date")
    return pd.DataFrame({"Close": 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))}, index=index)


@pytest.fixture
def folds(monkeypatch):
    """Each fold's fitted data and its Backtest, as walk_forward makes them."""
    seen = []

    class Recording(Forecaster):
        def fit(self, data, **kwargs):
            seen.append({"fitted": {k: f.copy() for k, f in data.items()}})
            return super().fit(data, **kwargs)

    scored = backtest_module.backtest

    def recording_backtest(*args, **kwargs):
        result = scored(*args, **kwargs)
        seen[-1]["result"] = result
        return result

    monkeypatch.setattr(backtest_module, "Forecaster", Recording)
    monkeypatch.setattr(backtest_module, "backtest", recording_backtest)
    return seen


@pytest.mark.parametrize("horizon", [1, 3])
def test_each_fold_trains_before_its_block_and_is_scored_on_exactly_that_block(folds, horizon):
    """300 rows, test_fraction 0.2: the last 60 rows in 3 blocks of 20, rows 240-259, 260-279,
    280-299. Fold k fits on the rows before block k, and its scored targets are block k's rows,
    every one of them (the first origin is the block's previous row)."""
    frame = _frame(300)
    given = Forecaster(TINY, lookback=10, horizon=horizon)
    report = walk_forward(given, frame, folds=3)
    assert len(report["folds"]) == len(folds) == 3
    assert not hasattr(given, "models_")  # every fold fits a fresh copy, never the caller's
    assert len({id(fold["result"].forecaster) for fold in folds}) == 3
    for k, (start, fold) in enumerate(zip((240, 260, 280), folds, strict=True)):
        fitted = fold["fitted"][""]
        pd.testing.assert_frame_equal(fitted, frame.iloc[:start])  # nothing of block k or after
        p = fold["result"].predictions
        assert sorted(set(p["date"])) == list(frame.index[start:start + 20]), f"fold {k}"
        assert p["origin"].min() == frame.index[start - 1]
        assert len(p) == horizon * (20 - horizon + 1)  # every origin whose H targets fit
        np.testing.assert_array_equal(p["actual"], frame["Close"].loc[p["date"]])
        assert report["folds"][k] == fold["result"].metrics


def test_panel_folds_cut_every_series_at_its_own_blocks(folds):
    """Series of 300 and 200 rows: blocks of 20 and 13 rows (the last 60 and 40, in 3)."""
    panel = {"long": _frame(300), "short": _frame(200, seed=1)}
    walk_forward(Forecaster(TINY, lookback=10), panel, folds=3)
    for k, fold in enumerate(folds):
        for key, block in (("long", 20), ("short", 13)):
            frame = panel[key]
            start = len(frame) - (3 - k) * block
            pd.testing.assert_frame_equal(fold["fitted"][key], frame.iloc[:start])
            p = fold["result"].predictions
            dates = p.loc[p["series"] == key, "date"]
            assert list(dates) == list(frame.index[start:start + block]), (k, key)
