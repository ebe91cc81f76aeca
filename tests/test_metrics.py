"""Forecast metrics, baselines and the Diebold-Mariano test against hand-computed values."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rnnkit._checks import InputError
from rnnkit.forecast.metrics import (
    diebold_mariano,
    drift_forecast,
    forecast_metrics,
    infer_season,
    mase_scale,
    naive_forecast,
    seasonal_naive_forecast,
    verdict,
)

# -- forecast_metrics ------------------------------------------------------------------------


def test_metrics_by_hand():
    actual = np.array([[10.0], [12.0], [9.0]])
    predicted = np.array([[11.0], [11.0], [9.5]])
    last = np.array([10.5, 11.0, 10.0])
    m = forecast_metrics(actual, predicted, last, mase_scale=2.0)
    errors = np.array([1.0, -1.0, 0.5])
    assert m["mse"] == pytest.approx(np.mean(errors**2))
    assert m["mae"] == pytest.approx(2.5 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2.25 / 3))
    assert m["mape"] == pytest.approx(100 * np.mean([1 / 10, 1 / 12, 0.5 / 9]))
    # |y - ŷ| / (|y| + |ŷ|) per pair: 1 / 21, 1 / 23, 0.5 / 18.5
    assert m["smape"] == pytest.approx(200 / 3 * (1 / 21 + 1 / 23 + 0.5 / 18.5))
    assert m["mase"] == pytest.approx((2.5 / 3) / 2.0)
    # directions from the origin: predicted (+, 0, -), actual (-, +, -): one of three agrees
    assert m["directional_accuracy"] == pytest.approx(1 / 3)
    assert "per_step" not in m


def test_multi_step_metrics_average_every_pair_and_report_each_step():
    actual = np.array([[1.0, 2.0], [3.0, 5.0]])
    predicted = np.array([[1.0, 3.0], [2.0, 5.0]])
    m = forecast_metrics(actual, predicted, np.array([1.0, 3.0]), 1.0)
    assert m["mae"] == pytest.approx(0.5)
    assert [s["mae"] for s in m["per_step"]] == pytest.approx([0.5, 0.5])
    assert [s["mse"] for s in m["per_step"]] == pytest.approx([0.5, 0.5])
    # step 1: pairs (1, 1), (3, 2) -> 200/2 (0 + 1/5); step 2: (2, 3), (5, 5) -> 200/2 (1/5 + 0)
    assert [s["smape"] for s in m["per_step"]] == pytest.approx([20.0, 20.0])
    assert m["smape"] == pytest.approx(200 / 4 * (1 / 5 + 1 / 5))
    assert set(m["per_step"][0]) == set(m) - {"per_step"}


def test_smape_is_symmetric_bounded_and_scale_free():
    rng = np.random.default_rng(0)
    actual, predicted = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    last = rng.normal(size=30)
    forward = forecast_metrics(actual, predicted, last, 1.0)["smape"]
    assert forecast_metrics(predicted, actual, last, 1.0)["smape"] == pytest.approx(forward)
    assert forecast_metrics(7 * actual, 7 * predicted, 7 * last, 1.0)["smape"] == pytest.approx(
        forward)
    assert 0 <= forward <= 200
    # opposite signs: |y - ŷ| = |y| + |ŷ|, the maximum 200
    assert forecast_metrics(np.ones((2, 1)), -np.ones((2, 1)), np.zeros(2), 1.0)["smape"] == 200


def test_mape_is_none_when_an_actual_is_zero_and_smape_counts_zero_pairs_as_no_error():
    actual = np.array([[0.0, 2.0], [0.0, 4.0]])
    predicted = np.array([[0.0, 1.0], [1.0, 4.0]])
    m = forecast_metrics(actual, predicted, np.array([1.0, 1.0]), 1.0)
    assert m["mape"] is None
    # pairs (0, 0) -> 0, (2, 1) -> 1/3, (0, 1) -> 1, (4, 4) -> 0
    assert m["smape"] == pytest.approx(200 / 4 * (1 / 3 + 1))
    assert m["per_step"][0]["mape"] is None
    assert m["per_step"][1]["mape"] == pytest.approx(100 * 0.5 / 2)
    assert m["per_step"][0]["smape"] == pytest.approx(100.0)


@pytest.mark.parametrize("scale", [0.0, math.nan, math.inf])
def test_mase_is_none_for_a_zero_or_non_finite_scale(scale):
    m = forecast_metrics(np.ones((3, 2)), np.zeros((3, 2)), np.ones(3), scale)
    assert m["mase"] is None
    assert all(s["mase"] is None for s in m["per_step"])


def test_a_perfect_forecast_scores_zero():
    actual = np.array([[1.0, 2.0], [3.0, 4.0]])
    m = forecast_metrics(actual, actual.copy(), np.array([0.0, 5.0]), 0.5)
    assert (m["mse"], m["mae"], m["rmse"], m["mape"], m["smape"], m["mase"]) == (0, 0, 0, 0, 0, 0)
    assert m["directional_accuracy"] == 1.0


_TRICKY = {
    "zeros everywhere": (np.zeros((4, 3)), np.zeros((4, 3)), np.zeros(4), 0.0),
    "zero actuals": (np.zeros((4, 3)), np.ones((4, 3)), np.zeros(4), 1.0),
    "constant series, scale 0": (np.full((5, 2), 3.0), np.full((5, 2), 3.5), np.full(5, 3.0),
                                 mase_scale(np.full(20, 3.0), 7)),
    "prediction equal to actual": (np.arange(6.0).reshape(3, 2), np.arange(6.0).reshape(3, 2),
                                   np.zeros(3), 1.0),
    "tiny actuals": (np.full((2, 2), 1e-300), np.ones((2, 2)), np.zeros(2), 1e-300),
    "huge values": (np.full((2, 2), 1e200), np.full((2, 2), -1e200), np.zeros(2), np.inf),
}


@pytest.mark.filterwarnings("error")  # numpy's divide / invalid / overflow warnings fail the test
@pytest.mark.parametrize("case", _TRICKY, ids=list(_TRICKY))
def test_metrics_are_finite_or_none_and_warn_nothing(case):
    actual, predicted, last, scale = _TRICKY[case]
    m = forecast_metrics(actual, predicted, last, scale)
    json.dumps(m, allow_nan=False)  # raises on NaN or ±inf anywhere, per_step included

    def floats(d):
        return [v for k, v in d.items() if k != "per_step"]

    for value in floats(m) + [v for s in m["per_step"] for v in floats(s)]:
        assert value is None or (isinstance(value, float) and math.isfinite(value))


def test_metrics_reject_bad_inputs():
    good = np.ones((3, 2))
    with pytest.raises(InputError, match="predicted must have shape"):
        forecast_metrics(good, np.ones((3, 1)), np.ones(3), 1.0)
    with pytest.raises(InputError, match="last must have shape"):
        forecast_metrics(good, good, np.ones(2), 1.0)
    with pytest.raises(InputError, match="actual must have shape"):
        forecast_metrics(np.ones(3), np.ones(3), np.ones(3), 1.0)
    with pytest.raises(InputError, match="actual must hold at least one"):
        forecast_metrics(np.ones((0, 2)), np.ones((0, 2)), np.ones(0), 1.0)
    with pytest.raises(InputError, match=r"predicted must be finite, got nan at \(1, 0\)"):
        forecast_metrics(good, np.array([[1, 1], [np.nan, 1], [1, 1]]), np.ones(3), 1.0)
    with pytest.raises(InputError, match="mase_scale must be >= 0"):
        forecast_metrics(good, good, np.ones(3), -1.0)


# -- baselines -------------------------------------------------------------------------------


def test_baselines():
    series = np.array([1.0, 2.0, 4.0, 7.0])
    assert naive_forecast(np.array([4.0, 7.0]), 2).tolist() == [[4.0, 4.0], [7.0, 7.0]]
    # drift from row 0 to the origin: slope (7 - 1) / 3 = 2 per step
    assert drift_forecast(series, np.array([3]), 2).tolist() == [[9.0, 11.0]]
    assert mase_scale(series, 1) == pytest.approx((1 + 2 + 3) / 3)  # the one-step naive MAE


def test_seasonal_naive_by_hand():
    y = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    # m = 3, t = 5: h = 1, 2, 3 read rows 3, 4, 5; h = 4, 5 read rows 5 + 4 - 6 = 3, 4
    assert seasonal_naive_forecast(y, np.array([5]), 5, 3).tolist() == [[3.0, 4.0, 5.0, 3.0, 4.0]]
    # m = 2, t = 2 and t = 7: rows (1, 2, 1) and (6, 7, 6)
    assert seasonal_naive_forecast(y, np.array([2, 7]), 3, 2).tolist() == [[1, 2, 1], [6, 7, 6]]


def _seasonal_naive_loop(y, origins, horizon, m):
    out = np.empty((len(origins), horizon))
    for i, t in enumerate(origins):
        for h in range(1, horizon + 1):
            if t + 1 < m:
                out[i, h - 1] = y[t]
            else:
                out[i, h - 1] = y[t + h - m * math.ceil(h / m)]
    return out


@pytest.mark.parametrize("m", [1, 2, 4, 7, 12])
@pytest.mark.parametrize("horizon", [1, 3, 10, 25])
def test_seasonal_naive_matches_the_definition_loop(m, horizon):
    y = np.random.default_rng(m * 100 + horizon).normal(size=40)
    origins = np.arange(40)
    np.testing.assert_array_equal(seasonal_naive_forecast(y, origins, horizon, m),
                                  _seasonal_naive_loop(y, origins, horizon, m))


@pytest.mark.parametrize("horizon", [1, 5])
def test_seasonal_naive_with_season_one_is_the_naive_forecast(horizon):
    y = np.random.default_rng(1).normal(size=20)
    origins = np.array([0, 3, 19, 7])
    np.testing.assert_array_equal(seasonal_naive_forecast(y, origins, horizon, 1),
                                  naive_forecast(y[origins], horizon))


def test_seasonal_naive_falls_back_to_naive_before_a_full_season():
    y = np.arange(10.0)
    forecast = seasonal_naive_forecast(y, np.array([0, 2, 3, 4]), 3, 4)
    np.testing.assert_array_equal(forecast[:2], naive_forecast(y[[0, 2]], 3))  # t + 1 < 4
    assert forecast[2:].tolist() == [[0, 1, 2], [1, 2, 3]]  # t = 3 and 4 have a full season


@pytest.mark.parametrize("m", [1, 3, 7])
def test_seasonal_naive_never_reads_rows_after_the_origin(m):
    y = np.random.default_rng(2).normal(size=30)
    full = seasonal_naive_forecast(y, np.arange(30), 9, m)
    for t in range(30):
        past_only = y.copy()
        past_only[t + 1:] = np.nan  # any read of the future would show as NaN
        np.testing.assert_array_equal(seasonal_naive_forecast(past_only, np.array([t]), 9, m),
                                      full[[t]])


def test_seasonal_naive_repeats_a_periodic_series_exactly():
    y = np.tile([3.0, 1.0, 4.0, 1.0, 5.0], 6)  # period 5, 30 rows
    origins = np.arange(4, 20)
    np.testing.assert_array_equal(seasonal_naive_forecast(y, origins, 10, 5),
                                  np.stack([y[t + 1: t + 11] for t in origins]))


def test_seasonal_naive_rejects_bad_arguments():
    y = np.arange(10.0)
    with pytest.raises(InputError, match="origins must lie in"):
        seasonal_naive_forecast(y, np.array([-1]), 2, 2)
    with pytest.raises(InputError, match="origins must lie in"):
        seasonal_naive_forecast(y, np.array([10]), 2, 2)
    with pytest.raises(InputError, match="origins must be integer"):
        seasonal_naive_forecast(y, np.array([1.5]), 2, 2)
    with pytest.raises(InputError, match="season must be a positive int"):
        seasonal_naive_forecast(y, np.array([3]), 2, 0)
    with pytest.raises(InputError, match="horizon must be a positive int"):
        seasonal_naive_forecast(y, np.array([3]), 0, 2)
    with pytest.raises(InputError, match="series must have shape"):
        seasonal_naive_forecast(y[:, None], np.array([3]), 2, 2)


# -- mase_scale ------------------------------------------------------------------------------


def test_mase_scale_by_hand():
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert mase_scale(y, 2) == pytest.approx((1 + 2 + 2) / 3)  # |2-1|, |5-3|, |4-2|
    assert mase_scale(y, 1) == pytest.approx((2 + 1 + 3 + 1) / 4)


def test_mase_scale_is_the_in_sample_seasonal_naive_mae():
    y = np.random.default_rng(3).normal(size=50)
    m = 7
    one_step = seasonal_naive_forecast(y, np.arange(m - 1, 49), 1, m)[:, 0]  # forecasts of y_m ..
    assert mase_scale(y, m) == pytest.approx(np.mean(np.abs(y[m:] - one_step)))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_mase_scale_falls_back_to_one_step_when_the_training_part_is_short(n):
    y = np.array([1.0, 4.0, 2.0, 8.0])[:n]
    assert mase_scale(y, 4) == pytest.approx(np.mean(np.abs(np.diff(y))))


def test_mase_scale_is_zero_for_a_constant_or_exactly_seasonal_series():
    assert mase_scale(np.full(10, 2.5), 3) == 0.0
    periodic = np.tile([1.0, 5.0, 2.0], 4)
    assert mase_scale(periodic, 3) == 0.0
    assert mase_scale(periodic, 1) > 0


def test_mase_scale_rejects_bad_arguments():
    with pytest.raises(InputError, match="train_series needs at least 2"):
        mase_scale(np.array([1.0]), 1)
    with pytest.raises(InputError, match="train_series must have shape"):
        mase_scale(np.ones((4, 2)), 1)
    with pytest.raises(InputError, match="train_series must be finite"):
        mase_scale(np.array([1.0, np.nan, 2.0]), 1)
    with pytest.raises(InputError, match="season"):
        mase_scale(np.ones(4), 0)


# -- infer_season ----------------------------------------------------------------------------

_SPACINGS = [("h", 24), ("D", 7), ("W", 52), ("W-WED", 52), ("MS", 12), ("ME", 12), ("QS", 4),
             ("QE", 4), ("YS", 1), ("YE", 1), ("30min", 48), ("15min", 96), ("5min", 288),
             ("min", 1440), ("7min", 1), ("2h", 1), ("2D", 1)]


@pytest.mark.parametrize("gaps", [[], [3], [3, 10]], ids=["complete", "one gap", "two gaps"])
@pytest.mark.parametrize("freq, season", _SPACINGS)
def test_infer_season_from_the_spacing(freq, season, gaps):
    index = pd.date_range("2021-01-04", periods=60, freq=freq).delete(gaps)
    assert infer_season(index) == season
    assert type(infer_season(index)) is int


@pytest.mark.parametrize("gaps", [[], [3], [3, 10]])
def test_infer_season_business_days(gaps):
    assert infer_season(pd.bdate_range("2021-01-04", periods=60).delete(gaps)) == 5


def test_infer_season_needs_a_weekend_in_range_to_call_days_business_days():
    monday_to_wednesday = pd.date_range("2021-01-04", periods=3, freq="D")
    assert infer_season(monday_to_wednesday) == 7
    # a daily index missing one Saturday still has other weekend rows: daily
    assert infer_season(pd.date_range("2021-01-04", periods=30, freq="D").delete([5])) == 7


def test_infer_season_ignores_order_duplicates_and_missing_timestamps():
    index = pd.date_range("2021-01-01", periods=48, freq="h")
    shuffled = index[np.random.default_rng(0).permutation(48)]
    assert infer_season(shuffled) == 24
    assert infer_season(index.append(index[:5])) == 24
    assert infer_season(pd.DatetimeIndex([*index[:10], pd.NaT, *index[10:]])) == 24


@pytest.mark.parametrize("freq, season", [("h", 24), ("D", 7)])
def test_infer_season_across_a_daylight_saving_change(freq, season):
    index = pd.date_range("2024-03-25", periods=14 * 24 if freq == "h" else 30, freq=freq,
                          tz="Europe/Berlin")  # clocks go forward on 2024-03-31
    assert infer_season(index) == season


def test_infer_season_reads_timestamps_in_a_series_or_list():
    index = pd.date_range("2021-01-01", periods=30, freq="15min")
    assert infer_season(pd.Series(index)) == 96
    assert infer_season(list(index)) == 96


def test_infer_season_reads_a_period_index():
    assert infer_season(pd.period_range("2020-01", periods=24, freq="M")) == 12
    assert infer_season(pd.period_range("2020Q1", periods=12, freq="Q")) == 4


@pytest.mark.parametrize("index", [pd.RangeIndex(50), pd.Index(np.arange(0, 100, 2)),
                                   pd.Index(np.linspace(0, 1, 30)), pd.Index(list("abcdefgh")),
                                   pd.date_range("2021-01-01", periods=2, freq="h"),
                                   pd.DatetimeIndex([])],
                         ids=["range", "integers", "floats", "strings", "two rows", "empty"])
def test_infer_season_is_one_without_timestamps_or_rows(index):
    assert infer_season(index) == 1


# -- Diebold-Mariano -------------------------------------------------------------------------


def test_diebold_mariano_by_hand():
    # d = (1, 0, -1, 2), d̄ = 0.5, deviations (0.5, -0.5, -1.5, 1.5):
    # γ_0 = 5/4, γ_1 = (-0.25 + 0.75 - 2.25) / 4 = -7/16, V = (5/4 - 7/8) / 4 = 3/32,
    # DM = 0.5 / √(3/32), HLN factor √((4 + 1 - 4 + 2/4) / 4) = √(3/8): DM* = 0.5 · √4 = 1
    d = np.array([1.0, 0.0, -1.0, 2.0])
    spread = np.array([1.0, -1.0])  # the two steps differ; their mean is d + 4
    errors_model = np.sqrt(d[:, None] + 4 + spread)  # (4, 2)
    errors_baseline = np.full((4, 2), 2.0)
    test = diebold_mariano(errors_model, errors_baseline, horizon=2)
    assert test["statistic"] == pytest.approx(1.0)
    assert test["p_value"] == pytest.approx(2 * stats.t.sf(1.0, df=3))
    assert test["mean_loss_difference"] == pytest.approx(0.5)
    assert test["n"] == 4


def _dm_loop(e_model, e_baseline, h):
    """The test written out sum by sum, as in Diebold & Mariano (1995) and HLN (1997)."""
    n = len(e_model)
    d = [sum(a * a - b * b for a, b in zip(rm, rb, strict=True)) / len(rm)
         for rm, rb in zip(e_model, e_baseline, strict=True)]
    d_bar = sum(d) / n
    gamma = [sum((d[t] - d_bar) * (d[t - k] - d_bar) for t in range(k, n)) / n for k in range(h)]
    v = (gamma[0] + 2 * sum(gamma[1:])) / n
    dm = d_bar / math.sqrt(v) * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return dm, 2 * stats.t.sf(abs(dm), n - 1)


@pytest.mark.parametrize("h", [1, 2, 5])
def test_diebold_mariano_matches_the_sums_written_out(h):
    rng = np.random.default_rng(h)
    e_model, e_baseline = rng.normal(size=(60, h)), 1.2 * rng.normal(size=(60, h))
    test = diebold_mariano(e_model, e_baseline, h)
    statistic, p_value = _dm_loop(e_model, e_baseline, h)
    assert test["p_value"] < 1
    assert test["statistic"] == pytest.approx(statistic, rel=1e-12)
    assert test["p_value"] == pytest.approx(p_value, rel=1e-10)


def test_identical_forecasts_are_no_difference():
    e = np.random.default_rng(4).normal(size=(30, 3))
    test = diebold_mariano(e, e.copy(), horizon=3)
    assert test == {"statistic": 0.0, "p_value": 1.0, "mean_loss_difference": 0.0, "n": 30}
    assert verdict(test) == "no significant difference"


def test_a_negative_rectangular_variance_falls_back_to_bartlett_weights():
    # d alternating ±1: γ_1 = -γ_0 (n - 1) / n, so DM's V = γ_0 (1 - 2 (n - 1) / n) / n < 0;
    # Bartlett's weights (1 - k/h) give V = γ_0 (1 - (n - 1) / n) / n > 0 instead
    d = np.tile([1.0, -1.0], 10)
    errors_model, errors_baseline = np.sqrt(d + 2)[:, None], np.full((20, 1), math.sqrt(2))
    test = diebold_mariano(errors_model, errors_baseline, horizon=2)
    assert test["mean_loss_difference"] == pytest.approx(0.0, abs=1e-12)
    assert test["statistic"] == pytest.approx(0.0, abs=1e-9) and test["p_value"] > 0.999
    # the same alternation around a clear gain: significant although DM's V is negative
    better = np.sqrt(np.clip(d * 0.01 + 1.0, 0, None))[:, None]  # loss 1 ± 0.01 against 2
    shifted = diebold_mariano(better, errors_baseline, horizon=2)
    assert shifted["statistic"] < 0 and shifted["p_value"] < 1e-6
    assert verdict(shifted) == "beats"

def test_half_the_errors_beats_the_baseline_and_swapping_flips_the_sign():
    baseline = np.random.default_rng(5).normal(size=(100, 4))
    test = diebold_mariano(0.5 * baseline, baseline, horizon=4)
    assert test["p_value"] < 1e-8
    assert test["mean_loss_difference"] < 0
    assert verdict(test) == "beats"
    swapped = diebold_mariano(baseline, 0.5 * baseline, horizon=4)
    assert swapped["statistic"] == pytest.approx(-test["statistic"])
    assert swapped["p_value"] == pytest.approx(test["p_value"])
    assert swapped["mean_loss_difference"] == pytest.approx(-test["mean_loss_difference"])
    assert verdict(swapped) == "loses to"


@pytest.mark.parametrize("n", [10, 500])
def test_one_step_diebold_mariano_is_the_paired_t_test(n):
    # with h = 1: V = γ_0 / n = s² (n - 1) / n², and the HLN factor √((n - 1) / n) turns
    # d̄ / √V into d̄ / (s / √n), exactly the one-sample t statistic of d, with n - 1 df
    rng = np.random.default_rng(n)
    e_model, e_baseline = rng.normal(size=n), 1.1 * rng.normal(size=n)
    test = diebold_mariano(e_model, e_baseline, horizon=1)
    reference = stats.ttest_1samp(e_model**2 - e_baseline**2, 0.0)
    assert test["statistic"] == pytest.approx(reference.statistic, rel=1e-10)
    assert test["p_value"] == pytest.approx(reference.pvalue, rel=1e-8)
    # a column vector (n, 1) is the same one-step test
    assert diebold_mariano(e_model[:, None], e_baseline[:, None], 1) == test


@pytest.mark.parametrize("h", [1, 3])
def test_diebold_mariano_keeps_its_size_under_the_null(h):
    # both forecasters' errors come from one distribution; for h = 3 each row is the error of
    # a random-walk forecast 1..3 steps ahead (cumulative shocks), so consecutive origins overlap
    rng = np.random.default_rng(2024 + h)
    sims, n = 400, 100  # at n = 100 every seed in 0..39 lands in [3%, 8.5%] for both h
    shocks = rng.normal(size=(2, sims, n + h, 1))
    if h == 1:
        errors = shocks[..., :n, :]
    else:  # error of the j-step forecast from origin t: shocks t+1 .. t+j
        errors = np.concatenate([shocks[..., j: n + j, :] for j in range(h)], axis=-1)
        errors = np.cumsum(errors, axis=-1)  # (2, sims, n, h)
    p_values = np.array([diebold_mariano(errors[0, s], errors[1, s], h)["p_value"]
                         for s in range(sims)])
    rate = np.mean(p_values < 0.05)
    assert 0.02 <= rate <= 0.09, rate


def test_diebold_mariano_result_is_plain_and_finite():
    rng = np.random.default_rng(6)
    test = diebold_mariano(rng.normal(size=(12, 2)), rng.normal(size=(12, 2)), 2)
    json.dumps(test, allow_nan=False)
    assert [type(test[k]) for k in ("statistic", "p_value", "mean_loss_difference", "n")] == [
        float, float, float, int]
    assert 0 <= test["p_value"] <= 1


def test_diebold_mariano_rejects_bad_arguments():
    e = np.ones((5, 2))
    with pytest.raises(InputError, match="same shape"):
        diebold_mariano(e, np.ones((5, 3)), 2)
    with pytest.raises(InputError, match="more origins than horizon=5"):
        diebold_mariano(e, e, 5)
    with pytest.raises(InputError, match="errors_baseline must be finite"):
        diebold_mariano(e, np.full((5, 2), np.inf), 1)
    with pytest.raises(InputError, match="too large to square"):
        diebold_mariano(np.full((5, 2), 1e200), e, 1)
    with pytest.raises(InputError, match="horizon must be a positive int"):
        diebold_mariano(e, e, 0)
    with pytest.raises(InputError, match="errors_model must have shape"):
        diebold_mariano(np.ones((5, 2, 1)), np.ones((5, 2, 1)), 1)


@pytest.mark.parametrize("p, difference, level, expected", [
    (0.01, -1.0, 0.05, "beats"), (0.01, 1.0, 0.05, "loses to"),
    (0.2, -1.0, 0.05, "no significant difference"), (0.05, -1.0, 0.05, "no significant difference"),
    (0.03, -1.0, 0.01, "no significant difference"), (0.03, 1.0, 0.1, "loses to"),
    (0.0, 0.0, 0.05, "no significant difference"),
])
def test_verdict(p, difference, level, expected):
    assert verdict({"p_value": p, "mean_loss_difference": difference}, level) == expected


def test_verdict_rejects_bad_arguments():
    with pytest.raises(InputError, match="level must lie in"):
        verdict({"p_value": 0.1, "mean_loss_difference": 1.0}, level=1.5)
    with pytest.raises(InputError, match="missing"):
        verdict({"statistic": 1.0})
