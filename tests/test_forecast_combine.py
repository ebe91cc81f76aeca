"""The linear model, the stacked forecast and its conformal intervals (rnnkit.forecast.linear,
rnnkit.forecast.combine), through the Forecaster, backtest and the CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli import main
from rnnkit.forecast import Forecaster, NetworkRegressor, backtest
from rnnkit.forecast.combine import conformal_quantile, simplex_weights
from rnnkit.forecast.forecaster_files import fitted_record, params_from_record, restore_fitted
from rnnkit.forecast.linear import fit_linear, linear_design
from rnnkit.forecast.metrics import interval_scores
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig

FAST = TrainConfig(epochs=2, batch_size=32, learning_rate=3e-3, patience=0)


def _small(**kwargs) -> Forecaster:
    net = NetworkRegressor(ModelConfig(hidden_size=8), FAST)
    return Forecaster(net, **{"lookback": 20, "target": "y"} | kwargs)


def _walk(n=600, seed=0, start="2020-01-01") -> pd.DataFrame:
    """A Gaussian random walk (daily): naive is the best forecast, errors are N(0, 1)."""
    rng = np.random.default_rng(seed)
    y = 200 + np.cumsum(rng.standard_normal(n))
    return pd.DataFrame({"y": y}, index=pd.date_range(start, periods=n, freq="D"))


def test_linear_model_recovers_a_trend_exactly():
    t = np.arange(120.0)
    values = 3.0 + 0.5 * t
    model = fit_linear([(values, 2.0, slice(0, 90), slice(0, 0))], lookback=10, horizon=3)
    forecast = model.predict(values, 2.0)
    expected = values[9:, None] + 0.5 * np.arange(1, 4)  # y_t + b h from every origin
    np.testing.assert_allclose(forecast, expected, atol=1e-6)


def test_linear_model_equals_sklearn_ridge_on_the_same_design():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(1)
    series = [np.cumsum(rng.standard_normal(200)) for _ in range(3)]
    scales = [1.0, 2.0, 0.5]
    pieces = [(v, s, slice(0, 150), slice(0, 0)) for v, s in zip(series, scales, strict=True)]
    model = fit_linear(pieces, lookback=12, horizon=4)
    designs = [linear_design(v, 12, 4, s, slice(0, 150)) for v, s in zip(series, scales,
                                                                           strict=True)]
    x = np.concatenate([d[0] for d in designs])
    z = np.concatenate([d[1] for d in designs])
    ridge = sklearn.Ridge(alpha=model.ridge, fit_intercept=True).fit(x, z)
    np.testing.assert_allclose(model.weights, ridge.coef_.T, atol=1e-8)
    np.testing.assert_allclose(model.bias, ridge.intercept_, atol=1e-8)


def test_linear_model_reads_only_the_fit_windows():
    values = np.cumsum(np.random.default_rng(2).standard_normal(300))
    edited = values.copy()
    edited[200:] += 100.0  # past the last fit window's targets (row 149 + 4 < 200)
    a = fit_linear([(values, 1.0, slice(0, 130), slice(0, 0))], 20, 4)
    b = fit_linear([(edited, 1.0, slice(0, 130), slice(0, 0))], 20, 4)
    np.testing.assert_array_equal(a.weights, b.weights)


def test_simplex_weights_are_a_convex_combination_on_the_right_component():
    rng = np.random.default_rng(3)
    truth = rng.standard_normal(500)
    forecasts = np.stack([truth + rng.standard_normal(500), truth.copy(),
                          truth + 0.5 * rng.standard_normal(500)], axis=1)
    weights = simplex_weights(forecasts - truth[:, None])
    assert (weights >= 0).all() and weights.sum() == pytest.approx(1.0)
    assert weights[1] == pytest.approx(1.0, abs=1e-6)
    # two unbiased, independent forecasts: the inverse-variance weights
    noisy = np.stack([rng.standard_normal(20000), 2 * rng.standard_normal(20000)], axis=1)
    np.testing.assert_allclose(simplex_weights(noisy), [0.8, 0.2], atol=0.02)


def test_conformal_quantile_and_interval_scores():
    assert conformal_quantile(np.arange(1.0, 101.0), 95) == 96.0  # ceil(101 * 0.95) = 96
    assert conformal_quantile(np.array([1.0, -3.0]), 95) == 3.0  # past n: the largest
    scores = interval_scores(np.zeros((4, 1)), -np.ones((4, 1)), np.ones((4, 1)), 1.0, 80)
    assert scores == {"coverage_80": 1.0}


def test_fitted_weights_sum_to_one_per_step_and_test_values_change_nothing():
    frame = _walk()
    cut = int(np.ceil(len(frame) * 0.8))
    edited = frame.copy()
    edited.iloc[cut:, 0] = edited.iloc[cut:, 0] * 3 + 7
    a = backtest(_small(horizon=3), frame).forecaster
    b = backtest(_small(horizon=3), edited).forecaster
    weights = a.combination_.weights
    assert weights.shape == (3, 4) and (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert a.combination_.to_dict() == b.combination_.to_dict()  # weights and quantiles
    np.testing.assert_array_equal(a.linear_.weights, b.linear_.weights)


def test_intervals_cover_a_gaussian_walk_near_the_nominal_level():
    result = backtest(_small(intervals=(80, 95)), _walk(n=1500, seed=4))
    model = result.metrics["model"]
    assert 0.88 <= model["coverage_95"] <= 0.99
    assert 0.72 <= model["coverage_80"] <= 0.88
    assert model["msis"] > 0
    p = result.predictions
    assert (p["lo_80"] >= p["lo_95"]).all() and (p["hi_80"] <= p["hi_95"]).all()


def test_combine_none_is_the_network_alone():
    frame = _walk()
    stacked = backtest(_small(horizon=2), frame)
    alone = backtest(_small(horizon=2, combine="none"), frame)
    assert "network" not in alone.metrics and "significance_network" not in alone.metrics
    errors = {k: v for k, v in alone.metrics["model"].items()
              if k != "msis" and not k.startswith("coverage_")}
    assert errors == stacked.metrics["network"]
    np.testing.assert_array_equal(alone.predictions["model"], stacked.predictions["network"])
    assert set(stacked.metrics["significance"]) == {"naive", "snaive", "linear"}
    assert set(stacked.metrics["significance_network"]) == {"naive", "snaive", "linear"}
    assert {"linear", "combination"} <= set(stacked.metrics)
    json.dumps(stacked.metrics, allow_nan=False)


def test_many_series_score_the_linear_model_and_intervals():
    panel = {f"s{k}": _walk(n=300, seed=10 + k) for k in range(3)}
    result = backtest(_small(horizon=2), panel, test_size=2)
    assert {"model", "network", "linear", "naive2"} <= set(result.metrics)
    assert {"coverage_95", "msis", "owa"} <= set(result.metrics["model"])
    assert {"linear_mase", "model_msis", "network_vs_linear"} <= set(result.per_series)


def test_a_folder_without_the_combination_loads_as_the_network_alone():
    frame = _walk(n=300)
    f = _small(horizon=2).fit(frame)
    config = fitted_record(f) | {"data": {}}
    for key in ("linear", "combination"):
        config.pop(key)
    params = {k: v for k, v in config["forecaster"].items() if k not in ("combine", "intervals")}
    old = Forecaster(**params_from_record(params, f.models_[0].__class__(
        ModelConfig(hidden_size=8), FAST)))
    restore_fitted(old, config, f.models_)
    assert old.combine == "none" and old.combination_ is None
    windows = old.predict_windows(frame)
    np.testing.assert_array_equal(windows.mean, f.predict_windows(frame).network)
    assert list(old.predict(frame).columns) == ["y"]


def test_cli_forecast_and_predict_give_the_combined_forecast_with_intervals(tmp_path, capsys):
    data = tmp_path / "walk.csv"
    _walk(n=400).rename_axis("Date").to_csv(data)
    out = tmp_path / "run"
    code = main(["forecast", "--data", str(data), "--target", "y", "--epochs", "2",
                 "--hidden-size", "8", "--lookback", "20", "--horizon", "2",
                 "--intervals", "80,95", "--no-progress", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "model = weighted network" in printed and "95% covers" in printed
    assert any(line.startswith("linear ") for line in printed.splitlines())
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"coverage_80", "coverage_95", "msis"} <= set(metrics["model"])
    assert sorted(metrics["combination"]["quantiles"]) == ["80", "95"]
    columns = pd.read_csv(out / "predictions.csv").columns
    assert {"network", "linear", "lo_80", "hi_80", "lo_95", "hi_95"} <= set(columns)
    future = pd.read_csv(out / "future.csv", index_col=0)
    code = main(["predict", "--model", str(out / "model"), "--out", str(tmp_path / "p.csv")])
    assert code == 0
    again = pd.read_csv(tmp_path / "p.csv", index_col=0)
    pd.testing.assert_frame_equal(again, future)
    assert main(["forecast", "--data", str(data), "--target", "y", "--intervals", "95,x",
                 "--out", str(tmp_path / "bad")]) == 2


def test_explicit_levels_are_checked():
    from rnnkit._checks import InputError

    with pytest.raises(InputError, match="intervals"):
        _small(intervals=(100,)).check_params()
    with pytest.raises(InputError, match="combine"):
        _small(combine="mean").check_params()


def test_absolute_error_weights_lie_on_the_simplex_and_find_the_exact_component():
    from rnnkit.forecast.combine import simplex_grid, simplex_weights_mae

    grid = simplex_grid(3)
    assert len(grid) == 231 and np.allclose(grid.sum(axis=1), 1) and (grid >= 0).all()
    rng = np.random.default_rng(0)
    errors = rng.normal(size=(500, 3))
    errors[:, 2] = 0.0  # the third forecast is the truth
    np.testing.assert_array_equal(simplex_weights_mae(errors), [0.0, 0.0, 1.0])
    # two forecasts erring in opposite directions: the absolute error is least at half each
    opposite = np.stack([np.ones(100), -np.ones(100), 3 * np.ones(100)], axis=1)
    np.testing.assert_allclose(simplex_weights_mae(opposite), [0.5, 0.5, 0.0])


def test_forecasts_from_later_origins_equal_the_tail_of_every_origins_forecasts():
    """predict_panel(origins_from=...) computes fewer windows, never other numbers: every
    component, the combination and its bands equal those from all windows at the same origins."""
    rng = np.random.default_rng(5)
    panel = {key: _walk(300, seed=k).assign(y=lambda f, k=k: f["y"] + 3 * np.sin(
        np.arange(300) * 2 * np.pi / 7) + rng.normal(0, 0.1, 300)) for k, key in enumerate("ab")}
    f = _small(horizon=3, id_column="id", ensemble=2).fit(panel)
    every = f.predict_panel(panel)
    later = f.predict_panel(panel, {"a": 250, "b": 0})
    for key, start in (("a", 250), ("b", 0)):
        keep = every[key].origin_rows >= start
        assert later[key].origin_rows.tolist() == every[key].origin_rows[keep].tolist()
        for name in ("mean", "spread", "last", "network", "linear"):
            np.testing.assert_allclose(getattr(later[key], name),
                                       getattr(every[key], name)[keep], rtol=1e-6, atol=1e-9)
        for level, (lower, upper) in every[key].bands.items():
            np.testing.assert_allclose(later[key].bands[level][0], lower[keep], rtol=1e-6)
            np.testing.assert_allclose(later[key].bands[level][1], upper[keep], rtol=1e-6)
    assert len(later["a"].origin_rows) == 300 - 250
    past_the_end = f.predict_panel(panel, {"a": 10**6})["a"]
    assert past_the_end.origin_rows.tolist() == [299]
