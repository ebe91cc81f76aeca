"""Many series, one model: panels in and out, per-series scaling, the M4-style scores."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.forecast.backtesting import backtest, walk_forward
from rnnkit.forecast.forecaster import Forecaster
from rnnkit.forecast.series_inputs import constant_inputs
from rnnkit.forecast.window_models import NetworkRegressor
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig

FAST = TrainConfig(epochs=3, batch_size=32, learning_rate=3e-3, patience=0)


def _panel(n=200, scales=(1.0, 50.0, 1000.0), seed=0) -> dict[str, pd.DataFrame]:
    """Daily cycles of very different scales and lengths, on integer steps."""
    rng = np.random.default_rng(seed)
    panel = {}
    for k, scale in enumerate(scales):
        length = n + 20 * k
        t = np.arange(length)
        values = scale * (3 + np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=length))
        panel[f"s{k}"] = pd.DataFrame({"value": values},
                                      index=pd.RangeIndex(length, name="step"))
    return panel


def _forecaster(**kwargs) -> Forecaster:
    model = NetworkRegressor(ModelConfig(hidden_size=8), FAST)
    return Forecaster(model, **{"lookback": 24, "horizon": 4, "target": "value",
                                "season": 24} | kwargs)


def test_one_model_learns_every_series_each_with_its_own_scale():
    panel = _panel()
    f = _forecaster().fit(panel)
    assert f.series_ == ["s0", "s1", "s2"] and len(f.models_) == 1
    means = [f.input_scalers_[key].mean_[0] for key in f.series_]
    assert means[0] < 10 < means[1] < 500 < means[2]  # fitted on each series' own rows
    windows = f.predict_windows(panel)
    assert set(windows) == set(panel)
    for key, frame in panel.items():
        assert windows[key].mean.shape == (len(frame) - 24 + 1, 4)
    future = f.predict(panel)
    assert list(future.columns) == ["series", "value", "lo_95", "hi_95"] and len(future) == 3 * 4
    assert list(future[future["series"] == "s2"].index) == [240, 241, 242, 243]


def test_a_long_frame_with_an_id_column_is_the_same_panel():
    panel = _panel()
    long = pd.concat([frame.assign(id=key) for key, frame in panel.items()])
    a = _forecaster().fit(panel)
    b = _forecaster(id_column="id").fit(long)
    np.testing.assert_array_equal(a.predict_windows(panel)["s1"].mean,
                                  b.predict_windows(long)["s1"].mean)
    assert set(b.predict(long)["id"]) == {"s0", "s1", "s2"}


def test_backtest_scores_each_series_and_averages_over_series():
    panel = _panel()
    result = backtest(_forecaster(), panel, test_size=4)  # M4's setting: one origin each
    per = result.per_series
    assert list(per["series"]) == ["s0", "s1", "s2"]
    m = result.metrics
    for who in ("model", "naive", "snaive", "naive2"):
        assert m[who]["smape"] == pytest.approx(per[f"{who}_smape"].mean())
        assert m[who]["mase"] == pytest.approx(per[f"{who}_mase"].mean())
    assert m["naive2"]["owa"] == pytest.approx(1.0)
    assert m["snaive"]["owa"] == pytest.approx(0.5 * (m["snaive"]["smape"] / m["naive2"]["smape"]
                                                      + m["snaive"]["mase"] / m["naive2"]["mase"]))
    p = result.predictions
    assert list(p.columns[:3]) == ["series", "origin", "step"] and len(p) == 3 * 4
    last = p[p["series"] == "s2"]
    np.testing.assert_allclose(last["actual"], panel["s2"]["value"].iloc[-4:])
    json.dumps(m, allow_nan=False)


def test_series_too_short_to_learn_from_are_forecast_by_seasonal_naive_and_scored():
    """Every series gets a forecast: one too short for lookback + horizon falls back to the
    seasonal naive forecast (model, network and linear alike), is scored with the others, and
    is counted; one too short even to score is left out and listed."""
    t = np.arange(30)
    short = pd.DataFrame({"value": 5 + np.sin(2 * np.pi * t / 24) + 0.01 * t})
    panel = _panel() | {"short": short, "tiny": pd.DataFrame({"value": np.arange(10.0)})}
    with pytest.warns(UserWarning, match="2 of 5 series are too short") as caught:
        result = backtest(_forecaster(), panel)
    assert len(caught) == 1  # one line for all of them
    series = result.metrics["series"]
    assert series["fallback"] == {"forecast": "snaive", "count": 1, "series": ["short"]}
    assert series["left_out"] == ["tiny"] and series["scored"] == 4  # 2 test rows < horizon 4
    rows = result.predictions[result.predictions["series"] == "short"]
    assert len(rows) == 3 * 4  # origins 23 .. 25 (6 test rows), 4 steps each
    for who in ("model", "network", "linear"):
        np.testing.assert_array_equal(rows[who], rows["snaive"])
    assert (rows["lo_95"] < rows["model"]).all() and (rows["model"] < rows["hi_95"]).all()
    future = result.forecaster.predict(panel)
    assert set(future["series"]) == {"s0", "s1", "s2", "short", "tiny"}


def test_save_load_and_walk_forward_with_many_series(tmp_path):
    panel = _panel()
    f = _forecaster().fit(panel)
    f.save(tmp_path / "model")
    g = Forecaster.load(tmp_path / "model")
    assert g.series_ == f.series_
    pd.testing.assert_frame_equal(g.predict(panel), f.predict(panel))
    report = walk_forward(_forecaster(), panel, folds=2)
    assert len(report["folds"]) == 2 and "model" in report["summary"]


def test_series_embedding_and_static_covariates_are_constant_inputs_per_series():
    panel = _panel()
    static = pd.DataFrame({"size": [1.0, 2.0, 4.0]}, index=["s0", "s1", "s2"])
    f = _forecaster(series_embedding=True).fit(panel, static=static)
    assert f.num_features_in_ == 1 + 3 + 1  # the level, the one-hot id, the static covariate
    np.testing.assert_allclose(constant_inputs(f, "s1")[:3], [0.0, 1.0, 0.0])
    sizes = np.array([f.static_[key][0] for key in f.series_])
    assert sizes.mean() == pytest.approx(0.0) and sizes.std() == pytest.approx(1.0)
    windows = f.predict_windows(panel)
    plain = _forecaster().fit(panel).predict_windows(panel)
    assert not np.allclose(windows["s1"].mean, plain["s1"].mean)  # the inputs reach the model
    with pytest.raises(InputError, match="static covariates lack the series s2"):
        _forecaster().fit(panel, static=static.iloc[:2])


def test_panel_windows_append_each_series_constants_to_every_step():
    from rnnkit.forecast.windows import PanelWindows, input_windows

    a, b = (input_windows(np.arange(n, dtype=float)[:, None], 3) for n in (5, 4))
    panel = PanelWindows([a, b], [0], "last", extra=[np.array([1.0, 0.0]), np.array([0.0, 1.0])])
    assert panel.shape == (5, 3, 3)
    rows = panel[[0, 4]]
    np.testing.assert_array_equal(rows[0, :, 1:], [[1.0, 0.0]] * 3)
    np.testing.assert_array_equal(rows[1, :, 1:], [[0.0, 1.0]] * 3)
    np.testing.assert_array_equal(rows[:, :, 0], [[-2.0, -1.0, 0.0]] * 2)  # normalised, as before
