"""rnnkit.forecast.features: derived inputs (causal), the calendar, and the encoding a series
allows."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.forecast.features import calendar_features, choose_encoding, derive_features

FAST = settings(max_examples=60, deadline=None)


def _prices(seed: int, n: int) -> np.ndarray:
    """A positive random walk of n prices (geometric, like a stock)."""
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))


# ---------------------------------------------------------------------------------------------
# derive_features


def _frame(p: np.ndarray) -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=len(p), freq="D", name="date")
    return pd.DataFrame({"Close": p, "Volume": np.arange(len(p), dtype=float)}, index=index)


def test_derived_features_by_hand():
    p = np.array([1.0, 2.0, 4.0, 2.0, 4.0])
    out = derive_features(_frame(p), "Close", ["Volume"], ["return", "log_return", "ma2", "vol2"])
    assert list(out.columns) == ["Close", "Volume", "return", "log_return", "ma2", "vol2"]
    assert len(out) == 3  # vol2 needs two log returns, so three prices
    assert out.index[0] == pd.Timestamp("2020-01-03")
    np.testing.assert_allclose(out["return"], [1.0, -0.5, 1.0])
    np.testing.assert_allclose(out["log_return"], np.log([2.0, 0.5, 2.0]))
    np.testing.assert_allclose(out["ma2"], [4 / 3 - 1, 2 / 3 - 1, 4 / 3 - 1])
    r = np.log(2.0)  # log returns are r, r, -r, r
    np.testing.assert_allclose(out["vol2"], np.std([[r, r], [r, -r], [-r, r]], axis=1, ddof=1))
    assert (out.dtypes == np.float64).all()


@FAST
@given(seed=st.integers(0, 2**16), t=st.integers(0, 39))
def test_derived_features_are_causal(seed, t):
    p = _prices(seed, 40)
    changed = p.copy()
    changed[t + 1 :] = _prices(seed + 1, 40)[t + 1 :]
    derived = ["return", "log_return", "ma5", "vol5"]
    before = derive_features(_frame(p), "Close", ["Volume"], derived)
    after = derive_features(_frame(changed), "Close", ["Volume"], derived)
    cutoff = _frame(p).index[t]
    pd.testing.assert_frame_equal(before.loc[:cutoff], after.loc[:cutoff])


@pytest.mark.parametrize("covariates, derived, match", [
    (["Open"], [], r"unknown column 'Open'; available: 'Close', 'Volume'"),
    ([], ["ma"], r"unknown derived feature 'ma'; allowed: 'return', 'log_return', 'ma\{n\}'"),
    ([], ["vol1"], "unknown derived feature 'vol1'"),
    ([], ["rsi14"], "unknown derived feature 'rsi14'"),
    (["Close"], [], "must differ"),
    ([], ["ma20"], "5 rows are too few"),
])
def test_derive_features_errors(covariates, derived, match):
    with pytest.raises(InputError, match=match):
        derive_features(_frame(np.arange(1.0, 6.0)), "Close", covariates, derived)


def test_log_features_need_positive_prices():
    with pytest.raises(InputError, match="'log_return' takes logs of 'Close'.*minimum is -1: use "
                                         "the features 'level' with the target kind 'diff'"):
        derive_features(_frame(np.array([1.0, -1.0, 2.0])), "Close", [], ["log_return"])


def test_calendar_features_are_sin_cos_of_the_position_in_the_period():
    index = pd.date_range("2024-01-01", periods=48, freq="h")  # a Monday
    frame = pd.DataFrame({"y": np.arange(48.0)}, index=index)
    out = derive_features(frame, "y", [], ["hour", "dow", "month"])
    assert list(out.columns) == ["y", "hour_sin", "hour_cos", "dow_sin", "dow_cos",
                                 "month_sin", "month_cos"]
    hours = index.hour.to_numpy()
    np.testing.assert_allclose(out["hour_sin"], np.sin(2 * np.pi * hours / 24), atol=1e-12)
    np.testing.assert_allclose(out["hour_cos"], np.cos(2 * np.pi * hours / 24), atol=1e-12)
    np.testing.assert_allclose(out["dow_sin"].iloc[0], 0.0, atol=1e-12)  # Monday 0:00
    assert out["hour_sin"].iloc[0] == pytest.approx(out["hour_sin"].iloc[24])  # 24 h later
    np.testing.assert_allclose(out["hour_sin"] ** 2 + out["hour_cos"] ** 2, 1.0)


def test_calendar_needs_dates():
    frame = pd.DataFrame({"y": np.arange(5.0)}, index=pd.Index(range(5), name="step"))
    with pytest.raises(InputError, match="calendar feature 'hour' needs a date index"):
        derive_features(frame, "y", [], ["hour"])
    assert calendar_features(frame.index) == ()


@pytest.mark.parametrize(("freq", "expected"), [
    ("30min", ("hour", "dow")), ("h", ("hour", "dow")), ("D", ("dow",)), ("B", ("dow",)),
    ("W", ("month",)), ("MS", ("month",)), ("YS", ()),
])
def test_calendar_features_follow_the_spacing(freq, expected):
    assert calendar_features(pd.date_range("2020-01-01", periods=10, freq=freq)) == expected


def test_choose_encoding_follows_the_data():
    index = pd.date_range("2020-01-01", periods=24 * 40, freq="h")
    t = np.arange(len(index))
    price = _prices(0, len(index))
    prices = choose_encoding(price, index, 24)
    assert (prices.features, prices.target_kind, prices.window_norm) == (
        ("log_return",), "log_return", "none")
    assert "price-like" in prices.reason
    signed = choose_encoding(price - 100, index, 24)  # takes negative values
    assert (signed.features, signed.target_kind, signed.window_norm) == (
        ("level", "hour", "dow"), "diff", "last")
    assert "takes values <= 0" in signed.reason
    load = 50 + 10 * np.sin(2 * np.pi * t / 24)  # positive but seasonal
    seasonal = choose_encoding(load, index, 24)
    assert seasonal.target_kind == "sdiff" and "seasonal at m = 24" in seasonal.reason


def test_a_negative_weekly_correlation_of_returns_is_no_season():
    """Daily returns whose lag-5 autocorrelation is clearly negative (the lag-m test alone took
    that for a weekly season) hold out worse with the seasonal naive forecast: prices."""
    rng = np.random.default_rng(3)
    e = rng.normal(0, 0.02, 1300)
    returns = e[5:] - 0.4 * e[:-5]  # MA(5): r_5 ≈ -0.34
    price = 100 * np.exp(np.cumsum(returns))
    index = pd.bdate_range("2015-01-01", periods=len(price))
    chosen = choose_encoding(price, index, 5, horizon=1, val_fraction=0.1)
    assert chosen.target_kind == "log_return" and "price-like" in chosen.reason
    mse = chosen.selection["mse"]
    assert mse["snaive"] > mse["naive"] and not chosen.selection["seasonal"]


def test_a_season_is_chosen_by_the_validation_part_and_says_so():
    index = pd.date_range("2020-01-01", periods=24 * 60, freq="h")
    t = np.arange(len(index))
    load = 50 + 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 1, len(t))
    chosen = choose_encoding(load, index, 24, horizon=24, val_fraction=0.1)
    assert chosen.target_kind == "sdiff" and chosen.selection["seasonal"]
    assert chosen.selection["validation_origins"] >= 10 and "seasonal naive" in chosen.reason


def test_the_test_part_changes_no_choice():
    from rnnkit.forecast import Forecaster

    index = pd.bdate_range("2015-01-01", periods=600)
    frame = pd.DataFrame({"Close": _prices(1, 600)}, index=index)
    changed = frame.copy()
    changed.iloc[-120:, 0] = 100 + 20 * np.sin(np.arange(120))  # a test part with a "season"
    chosen = [Forecaster(lookback=20, target="Close").check(f, test_fraction=0.2)
              for f in (frame, changed)]
    assert chosen[0] == chosen[1]


def test_one_series_below_zero_rules_out_log_returns_for_the_panel():
    from rnnkit.forecast.features import panel_encoding

    index = pd.bdate_range("2015-01-01", periods=400)
    prices = [choose_encoding(_prices(seed, 400), index, 5) for seed in range(3)]
    signed = choose_encoding(_prices(9, 400) - 100, index, 5)
    assert {c.target_kind for c in prices} == {"log_return"} and signed.target_kind == "diff"
    assert panel_encoding([*prices, signed], all_positive=True).target_kind == "log_return"
    chosen = panel_encoding([*prices, signed], all_positive=False)
    assert chosen.target_kind == "diff" and chosen.selection["series"] == 4
