"""The Forecaster: scikit-learn habits, no leakage, honest scoring, persistence."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.forecast.backtesting import backtest, walk_forward
from rnnkit.forecast.forecaster import Forecaster
from rnnkit.forecast.series_inputs import series_inputs
from rnnkit.forecast.window_models import NetworkRegressor, ReservoirRegressor
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig

FAST = TrainConfig(epochs=3, batch_size=32, learning_rate=3e-3, patience=0)


def _net(seed: int = 0) -> NetworkRegressor:
    return NetworkRegressor(ModelConfig(hidden_size=8), replace(FAST, seed=seed))


def _series(n=260, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2019-01-01", periods=n, name="date")
    close = 50 * np.exp(np.cumsum(rng.normal(0.001, 0.01, n)))
    volume = rng.uniform(1e6, 2e6, n)
    return pd.DataFrame({"Close": close, "Volume": volume}, index=index)


def _small(model=None, **kwargs):
    return Forecaster(model or _net(), **{"lookback": 20} | kwargs)


def test_sklearn_habits():
    frame = _series()
    f = _small()
    before = f.get_params()
    assert not any(name.endswith("_") for name in vars(f))
    with pytest.raises(InputError, match="not fitted"):
        f.predict(frame)
    assert f.fit(frame) is f
    assert f.get_params() == before  # hyperparameters untouched by fit
    learned = [name for name in vars(f) if name not in before]
    assert learned and all(name.endswith("_") for name in learned)


def test_fit_twice_equals_one_fit_on_the_second_data():
    a, b = _series(seed=1), _series(seed=2)
    twice = _small().fit(a).fit(b)
    once = _small().fit(b)
    np.testing.assert_array_equal(twice.predict_windows(b).mean, once.predict_windows(b).mean)


def test_same_seed_same_forecast_other_seed_differs():
    frame = _series()
    one = _small().fit(frame).predict_windows(frame).mean
    same = _small().fit(frame).predict_windows(frame).mean
    other = _small(_net(seed=1)).fit(frame).predict_windows(frame).mean
    np.testing.assert_array_equal(one, same)
    assert not np.array_equal(one, other)


def test_no_leakage_the_test_part_cannot_change_the_fitted_model():
    """Scalers and weights come from the training rows only: editing the test part (here,
    multiplying it by 10) leaves every forecast made from training-only windows unchanged."""
    frame = _series()
    edited = frame.copy()
    cut = int(np.ceil(len(frame) * 0.8))
    edited.iloc[cut:, 0] *= 10
    a = backtest(_small(features=("level", "log_return"), scaler="minmax"), frame)
    b = backtest(_small(features=("level", "log_return"), scaler="minmax"), edited)
    for attr in ("input_scalers_", "target_scalers_"):
        assert getattr(a.forecaster, attr)[""].to_dict() == getattr(
            b.forecaster, attr)[""].to_dict()
    inside = frame.iloc[:cut]
    np.testing.assert_array_equal(a.forecaster.predict_windows(inside).mean,
                                  b.forecaster.predict_windows(inside).mean)


def test_backtest_scores_everyone_on_the_same_test_targets():
    frame = _series()
    result = backtest(_small(), frame)
    cut = int(np.ceil(len(frame) * 0.8))
    p = result.predictions
    assert len(p) == len(frame) - cut  # the tutorial's split: every test day is a target
    assert p["date"].iloc[0] == frame.index[cut]
    np.testing.assert_allclose(p["actual"], frame["Close"].iloc[cut:])
    np.testing.assert_allclose(p["naive"], frame["Close"].iloc[cut - 1 : -1])
    mae_naive = np.mean(np.abs(p["naive"] - p["actual"]))
    assert result.metrics["naive"]["mae"] == pytest.approx(mae_naive)
    assert result.metrics["skill"] == pytest.approx(
        1 - result.metrics["model"]["mse"] / result.metrics["naive"]["mse"])
    assert set(result.metrics) >= {"model", "naive", "snaive", "drift", "skill", "season",
                                   "significance"}
    assert list(p.columns) == ["origin", "step", "date", "actual", "model", "network", "linear",
                               "naive", "snaive", "drift", "lo_95", "hi_95"]
    json.dumps(result.metrics, allow_nan=False)  # strict JSON


def test_multi_step_horizon_scores_every_step():
    frame = _series()
    result = backtest(_small(horizon=3), frame)
    assert len(result.metrics["model"]["per_step"]) == 3
    cut = int(np.ceil(len(frame) * 0.8))
    p = result.predictions
    origins = len(frame) - cut - 2  # all three targets in the test part
    assert len(p) == 3 * origins and p["step"].tolist()[:4] == [1, 2, 3, 1]
    first = p[p["origin"] == p["origin"].iloc[0]]
    assert list(first["date"]) == list(frame.index[cut : cut + 3])
    np.testing.assert_allclose(first["actual"], frame["Close"].iloc[cut : cut + 3])
    np.testing.assert_allclose(first["naive"], frame["Close"].iloc[cut - 1])


def test_level_target_recovers_a_learnable_signal():
    """A smooth periodic series is learnable: the model must beat the naive forecast."""
    index = pd.bdate_range("2019-01-01", periods=400, name="date")
    frame = pd.DataFrame({"Close": 100 + 10 * np.sin(np.arange(400) * 2 * np.pi / 25)},
                         index=index)
    model = NetworkRegressor(ModelConfig(hidden_size=16),
                             TrainConfig(epochs=40, batch_size=32, learning_rate=1e-2, patience=0))
    f = Forecaster(model, lookback=30, features=("level",), target_kind="diff")
    result = backtest(f, frame)
    assert result.metrics["model"]["mae"] < 0.5 * result.metrics["naive"]["mae"]


def test_predict_gives_business_days_after_the_data_and_rolls_past_the_horizon():
    frame = _series()
    f = _small(horizon=2).fit(frame)
    future = f.predict(frame, steps=5)
    assert list(future.columns) == ["Close", "lo_95", "hi_95"]
    assert future["lo_95"].iloc[2:].isna().all()  # calibrated up to the horizon only
    expected = pd.bdate_range(frame.index[-1] + pd.Timedelta(days=1), periods=5)
    assert list(future.index) == list(expected)
    direct = f.predict(frame)
    np.testing.assert_allclose(future["Close"].iloc[:2], direct["Close"])


def test_covariates_cannot_roll_past_the_horizon():
    frame = _series()
    f = _small(covariates=("Volume",)).fit(frame)
    assert len(f.predict(frame)) == 1
    with pytest.raises(InputError, match="covariates"):
        f.predict(frame, steps=3)


def test_ensemble_mean_and_spread():
    frame = _series()
    f = _small(ensemble=3, combine="none").fit(frame)
    members = [_small(_net(seed=s), combine="none").fit(frame).predict_windows(frame).mean
               for s in range(3)]
    windows = f.predict_windows(frame)
    np.testing.assert_allclose(windows.mean, np.mean(members, axis=0), rtol=1e-6)
    np.testing.assert_allclose(windows.spread, np.std(members, axis=0), rtol=1e-5, atol=1e-9)
    assert "spread" in f.predict(frame).columns


def test_save_load_round_trip(tmp_path):
    frame = _series()
    f = _small(covariates=("Volume",), features=("log_return", "ma5"), ensemble=2).fit(frame)
    f.save(tmp_path / "model")
    g = Forecaster.load(tmp_path / "model")
    assert g.get_params() == f.get_params()
    np.testing.assert_array_equal(g.predict_windows(frame).mean, f.predict_windows(frame).mean)
    assert not list(tmp_path.rglob("*.tmp"))


def test_esn_member_is_its_ridge_readout_on_the_last_window_state(tmp_path):
    """--model esn: the forecast is W_out h_L + b_out of each window, saved and reloaded."""
    frame = _series()
    f = _small(ReservoirRegressor(ReservoirConfig(units=40, ridge=1e-3)), ensemble=2,
               features=("log_return", "ma5"), combine="none").fit(frame)
    esn = f.models_[0].esn_
    assert esn.washout == f.lookback - 1 and esn.units == 40 and f.models_[1].esn_.seed == 1
    windows = f.predict_windows(frame)
    # member 0 by hand: its reservoir run over one window, the readout, the target decoding
    x = f.input_scalers_[""].transform(series_inputs(f, frame)[0].to_numpy(float))[:20]
    h = esn.reservoir_.run(x[None])[0, -1]
    scaled = h @ esn.weight_out_.T + esn.bias_out_
    member0 = f.target_scalers_[""].inverse_transform(scaled[None])[0]
    both = np.stack([member0, f.target_scalers_[""].inverse_transform(
        f.models_[1].esn_.predict(x[None], washout=19)[:, 0])[0]])
    expected = (windows.last[0] * np.exp(both)).mean(axis=0)  # members' prices averaged
    np.testing.assert_allclose(windows.mean[0], expected, rtol=1e-10)
    assert f.history_[0].records[0]["val_loss"] > 0
    f.save(tmp_path / "esn")
    g = Forecaster.load(tmp_path / "esn")
    assert g.get_params() == f.get_params()
    np.testing.assert_array_equal(g.predict_windows(frame).mean, windows.mean)


def test_esn_with_a_strong_ridge_tends_to_the_naive_forecast():
    """A readout shrunk to its intercept predicts the mean training return: nearly naive."""
    frame = _series(n=400)
    result = backtest(_small(ReservoirRegressor(ReservoirConfig(units=30, ridge=1e8))), frame)
    model, naive = result.metrics["model"]["mae"], result.metrics["naive"]["mae"]
    assert abs(model - naive) / naive < 0.05


def test_walk_forward_folds_and_summary():
    frame = _series(n=300)
    report = walk_forward(_small(), frame, folds=2)
    assert len(report["folds"]) == 2
    maes = [fold["model"]["mae"] for fold in report["folds"]]
    assert report["summary"]["model"]["mae"]["mean"] == pytest.approx(np.mean(maes))
    assert report["summary"]["model"]["mae"]["std"] == pytest.approx(np.std(maes))


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (_series(n=15), {}, "fewer than lookback=20"),
        (pd.DataFrame({"Close": np.ones(100)}, index=pd.bdate_range("2020-01-01", periods=100)),
         {"features": ("level",), "target_kind": "level"}, "constant"),
        (_series(), {"target": "Open"}, "target column 'Open' not found"),
        (_series(), {"target_kind": "returns"}, "target_kind must be one of"),
        (_series(), {"features": ()}, "needs inputs"),
    ],
)
def test_bad_input(frame, kwargs, match):
    with pytest.raises(InputError, match=match):
        _small(**kwargs).fit(frame)


def test_baselines_do_not_depend_on_the_models_inputs():
    """Derived features drop leading rows; the naive and drift scores must not move with them."""
    frame = _series()
    plain = backtest(_small(), frame).metrics
    rolling = backtest(_small(features=("log_return", "ma20", "vol20")), frame).metrics
    for baseline in ("naive", "snaive", "drift"):
        assert plain[baseline] == rolling[baseline]


def _hourly(n=24 * 30, level=0.0, seed=0):
    """A daily cycle with noise, around ``level`` (negative values when level is 0)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2021-03-01", periods=n, freq="h", name="date")
    t = np.arange(n)
    value = level + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, n)
    return pd.DataFrame({"value": value}, index=index)


def test_the_encoding_and_season_follow_the_data_and_explicit_values_win():
    frame = _hourly()
    f = _small(target="value", lookback=48).fit(frame.iloc[:400])
    assert f.season_ == 24
    assert (f.encoding_.target_kind, f.encoding_.window_norm) == ("sdiff", "last")
    assert f.encoding_.features == ("level", "hour", "dow")
    assert "takes values <= 0" in f.encoding_.reason
    g = _small(target="value", lookback=48, features=("level",), target_kind="level",
               season=12).fit(frame.iloc[:400])
    assert (g.encoding_.features, g.encoding_.target_kind, g.encoding_.window_norm,
            g.season_) == (("level",), "level", "none", 12)
    assert g.encoding_.reason.startswith("set by the caller")
    prices = _small().fit(_series())
    assert prices.encoding_.target_kind == "log_return" and prices.season_ == 5


def test_window_normalisation_makes_the_forecast_level_free():
    """With inputs relative to the window's last value and differences as targets, moving the
    whole series by a constant moves every forecast by exactly that constant."""
    frame = _hourly(level=50.0)
    kw = {"target": "value", "lookback": 24, "features": ("level",), "target_kind": "diff",
          "window_norm": "last"}
    a = _small(**kw).fit(frame)
    b = _small(**kw).fit(frame + 1000.0)
    np.testing.assert_allclose(b.predict_windows(frame + 1000.0).mean,
                               a.predict_windows(frame).mean + 1000.0, rtol=0, atol=1e-6)


def test_seasonal_naive_is_the_value_one_season_back():
    frame = _hourly(n=24 * 20, level=5.0)
    result = backtest(_small(target="value", lookback=24, horizon=2), frame)
    p = result.predictions
    rows = frame.index.get_indexer(p["date"])
    np.testing.assert_allclose(p["snaive"], frame["value"].to_numpy()[rows - 24])
    assert result.metrics["season"] == 24
    assert result.metrics["snaive"]["mae"] < result.metrics["naive"]["mae"]  # a daily cycle


def test_checks_refuse_what_cannot_succeed_before_any_training():
    frame = _series()
    with pytest.raises(InputError, match=r"`future` \(10\) > `horizon` \(5\) needs future "
                                         "values of the covariates Volume"):
        _small(horizon=5, covariates=("Volume",)).check(frame, future=10)
    with pytest.raises(InputError, match="fewer than lookback=200"):
        _small(lookback=200).check(frame)
    with pytest.raises(InputError, match="the test part has 3 rows, fewer than horizon=5"):
        _small(horizon=5).check(frame.iloc[:100], test_fraction=0.03)
    signed = _hourly()
    with pytest.raises(InputError, match="'log_return' takes logs of 'value'.*use the features "
                                         "'level' with the target kind 'diff'"):
        _small(target="value", features=("log_return",)).check(signed)
    assert _small(target="value").check(signed).target_kind == "sdiff"  # auto copes


def test_an_integer_time_index_forecasts_the_next_steps():
    frame = _hourly(n=300, level=20.0).reset_index(drop=True)
    frame.index.name = "step"
    f = _small(target="value", lookback=24, horizon=3, season=24).fit(frame)
    future = f.predict(frame)
    assert list(future.index) == [300, 301, 302] and future.index.name == "step"


@pytest.mark.parametrize("case", ["price", "hourly"])
def test_no_leakage_a_forecast_at_origin_t_ignores_every_value_after_t(case):
    """End to end through fit on the training part (its validation rows included): editing
    every value after a test origin t (target and covariate, times 3 plus noise) leaves every
    forecast and baseline made at origins up to t exactly as it was."""
    if case == "price":  # derived and covariate inputs, a 3-step horizon, log returns
        frame = _series()
        f = lambda: _small(covariates=("Volume",), features=("level", "log_return", "ma5",
                                                             "vol5"), horizon=3)
    else:  # the auto encoding of a seasonal signed series: sdiff, window_norm, calendar
        frame = _hourly(n=24 * 15)
        f = lambda: _small(target="value", lookback=24, horizon=2)
    cut = int(np.ceil(len(frame) * 0.8))
    t = cut + 10  # an origin inside the test part
    edited = frame.copy()
    noise = np.random.default_rng(5).normal(size=edited.iloc[t + 1:].shape)
    edited.iloc[t + 1:] = edited.iloc[t + 1:] * 3 + noise
    a, b = backtest(f(), frame), backtest(f(), edited)
    early = a.predictions["origin"] <= frame.index[t]
    assert early.sum() >= 10 * a.forecaster.horizon  # several origins before the edit ...
    assert not early.all()  # ... and some after it
    pa, pb = a.predictions[early], b.predictions[early]
    for column in ("model", "naive", "snaive", "drift"):
        np.testing.assert_array_equal(pa[column].to_numpy(), pb[column].to_numpy(), column)
    late = ~early
    assert not np.allclose(a.predictions.loc[late, "model"], b.predictions.loc[late, "model"])


def test_validation_rows_choose_the_epoch_but_never_set_the_scalers():
    """fit validates on the last 10% of its rows and fits every scaler on the rows before:
    editing every validation row changes the validation loss only (one epoch: the same weights,
    so the same forecasts); editing the last fitting row changes the input scaler."""
    frame = _series(n=200)
    rows = len(frame) - 1  # the log_return input drops the first row
    first_val = 1 + rows - round(rows * 0.1)  # in frame rows
    one_epoch = NetworkRegressor(ModelConfig(hidden_size=8), replace(FAST, epochs=1))

    def fit(data):
        return _small(one_epoch, features=("level", "log_return"), scaler="minmax",
                      combine="none").fit(data)

    def edited(start, stop=None):
        copy = frame.copy()
        copy.iloc[start:stop, 0] *= 10
        return copy

    a, b = fit(frame), fit(edited(first_val))
    for attr in ("input_scalers_", "target_scalers_"):
        assert getattr(a, attr)[""].to_dict() == getattr(b, attr)[""].to_dict(), attr
    chosen = lambda f: (f.encoding_.features, f.encoding_.target_kind, f.encoding_.window_norm)
    assert chosen(a) == chosen(b)  # (the auto choice's reason reads the validation rows too)
    assert a.history_[0].records[0]["val_loss"] != b.history_[0].records[0]["val_loss"]
    np.testing.assert_array_equal(a.predict_windows(frame).mean, b.predict_windows(frame).mean)
    c = fit(edited(first_val - 1, first_val))  # the last row the scalers may read
    assert c.input_scalers_[""].to_dict() != a.input_scalers_[""].to_dict()
