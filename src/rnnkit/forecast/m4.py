"""The M4 competition's three benchmarks and its measures, checked against its published table.

M4 (Makridakis, Spiliotis & Assimakopoulos 2020, "The M4 Competition: 100,000 time series and
61 forecasting methods", IJF 36) ships each frequency as two wide CSV files: a header
``V1, V2, ...``, then one row per series, its id (``H1``, ``D25``, ...) and its values
left-aligned, shorter series padded with empty cells; the test file holds the next H values of
every series; :mod:`rnnkit.io.m4_files` reads them (``read_m4``, ``load_m4_hourly``).

The benchmarks are those of the competition's R code ("Benchmarks and Evaluation.R"): Naive,
seasonal Naive and Naive2 (the naive forecast of the series with its multiplicative seasonality
taken out, then put back, for the series that pass its seasonality test). sMAPE and MASE are
:func:`rnnkit.forecast.metrics.forecast_metrics`'s, with M4's seasonal periods
(:func:`rnnkit.io.m4_files.m4_season`) in the MASE scale and in Naive2; :func:`owa` relates them
to Naive2. On M4 Hourly,
:func:`benchmark_scores` reproduces every figure of the published table to its 3 decimals.
Pure NumPy / pandas (pandas only for the per-series table).
"""

import math

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_positive_int, check_shape
from rnnkit.forecast.metrics import (
    forecast_metrics,
    mase_scale,
    naive_forecast,
    seasonal_naive_forecast,
)
from rnnkit.io.m4_files import M4Data

_TCRIT = 1.645  # the seasonality test's one-sided 95% normal quantile (90% two-sided)
BENCHMARKS = ("naive", "snaive", "naive2")


def seasonality_test(values: np.ndarray, season: int) -> bool:
    """The M4 competition's seasonality test (its R code's ``SeasonalityTest``), on the levels.

    Math (y_1 .. y_n, m = season, ȳ their mean, r_k the sample autocorrelation, R's ``acf``):
        r_k = Σ_{t=1}^{n-k} (y_t - ȳ)(y_{t+k} - ȳ) / Σ_{t=1}^{n} (y_t - ȳ)²
        seasonal  <=>  |r_m| > 1.645 · sqrt((1 + 2 Σ_{k=1}^{m-1} r_k²) / n)
    Not seasonal when m = 1, when n < 3m, when the series is constant (r_k is 0/0, which R's
    ``is.na`` branch turns into false) and when floor(10 · log10 n) < m: R's ``acf`` computes
    lags up to that default ``lag.max`` only, so r_m is NA there and the test false (for m = 24,
    any n <= 251; for M4's other periods the n < 3m rule already covers it). On the levels a
    trend passes too (they correlate at every lag), and Naive2 then deseasonalises it.

    Raises
    ------
    InputError
        ``values`` not 1-D, empty or not finite; ``season`` not a positive int.

    Example
    -------
    >>> t = np.arange(120.0)
    >>> noise = np.random.default_rng(0).normal(size=120)
    >>> seasonality_test(10 + np.sin(2 * np.pi * t / 12), 12), seasonality_test(noise, 12)
    (True, False)
    >>> seasonality_test(t, 12), seasonality_test(t, 1)       # a trend; no season at m = 1
    (True, False)
    """
    check_positive_int("season", season)
    y = _values("values", values)
    n = len(y)
    if season == 1 or n < 3 * season or math.floor(10 * math.log10(n)) < season:
        return False
    d = y - y.mean()
    c0 = d @ d
    if c0 == 0:
        return False
    r = np.array([d[: n - k] @ d[k:] for k in range(1, season + 1)]) / c0  # r_1 .. r_m
    limit = _TCRIT * math.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / n)
    return bool(abs(r[-1]) > limit)


def seasonal_indices(values: np.ndarray, season: int) -> np.ndarray:
    """Seasonal indices of a classical multiplicative decomposition, as R's ``decompose``.

    Math (y_0 .. y_{n-1}, m = season, row t at cycle position t mod m; R's
    ``decompose(ts(y, frequency = m), type = "multiplicative")$figure``):
        T_t = Σ_j w_j y_{t+j}   the centred moving average; NaN where its window does not fit
              m even: j = -m/2 .. m/2, w = [0.5, 1, ..., 1, 0.5] / m   (the 2×m MA)
              m odd:  j = -(m-1)/2 .. (m-1)/2, w_j = 1/m
        q_t = y_t / T_t         the detrended ratio
        f_j = mean of q_t over the rows t ≡ j (mod m) where T_t is defined,  j = 0 .. m-1
        s_j = f_j / ((1/m) Σ_i f_i)   normalised so that the indices average 1

    Returns
    -------
    np.ndarray
        s_0 .. s_{m-1}, shape (m,): s_j belongs to rows j, j + m, j + 2m, ...

    Raises
    ------
    InputError
        ``values`` not 1-D or not finite; ``season`` < 2 or more than n/2 (R: "time series has
        no or less than 2 periods"); a moving average of 0, where the ratio is undefined.

    Example
    -------
    >>> y = np.array([2.0, 4.0, 6.0, 4.0] * 3)     # level 4, season (0.5, 1, 1.5, 1)
    >>> seasonal_indices(y, 4)
    array([0.5, 1. , 1.5, 1. ])
    """
    check_positive_int("season", season)
    y = _values("values", values)
    n, m = len(y), season
    if m < 2 or n < 2 * m:
        raise InputError(f"season must lie in [2, n/2] for a decomposition (two full periods), "
                         f"got season={m} for n={n} values")
    weights = np.full(m + 1 - m % 2, 1.0 / m)  # m + 1 taps for even m, m for odd
    if m % 2 == 0:
        weights[[0, -1]] = 0.5 / m
    half = len(weights) // 2
    trend = np.full(n, np.nan)
    trend[half: n - half] = np.convolve(y, weights, mode="valid")  # symmetric: no flip needed
    if (trend == 0).any():
        row = int(np.flatnonzero(trend == 0)[0])
        raise InputError(f"values: the centred moving average is 0 at row {row}, so the "
                         "multiplicative ratio y / trend is undefined there")
    ratio = np.full(-(-n // m) * m, np.nan)  # padded to whole periods, (periods·m,)
    ratio[:n] = y / trend
    figure = np.nanmean(ratio.reshape(-1, m), axis=0)  # (m,); each position has a ratio (n >= 2m)
    return figure / figure.mean()


def naive2_forecast(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The competition's Naive2: the naive forecast, seasonally adjusted where the test says so.

    Math (y_0 .. y_{n-1}, m = season, s_j = :func:`seasonal_indices`, h = 1 .. H):
        if seasonality_test(y, m):
            ŷ_{n-1+h} = (y_{n-1} / s_{(n-1) mod m}) · s_{(n-1+h) mod m}
        else:
            ŷ_{n-1+h} = y_{n-1}                                   (the naive forecast)
    The deseasonalised series is y_t / s_{t mod m}; its naive forecast is its last value, put
    back into season with the indices continuing the positions past the end.

    Returns
    -------
    np.ndarray
        Shape (H,).

    Raises
    ------
    InputError
        ``history`` not 1-D, empty or not finite; ``horizon`` or ``season`` not a positive int.

    Example
    -------
    >>> t = np.arange(48)
    >>> y = 100 * (1 + 0.5 * np.sin(2 * np.pi * t / 12))
    >>> forecast = naive2_forecast(y, 3, 12)            # y ends at position 11 of 12
    >>> bool(np.allclose(forecast, y[:3])), naive2_forecast(t * 1.0, 2, 12)
    (True, array([47., 47.]))
    """
    check_positive_int("horizon", horizon)
    y = _values("history", history)
    n = len(y)
    if not seasonality_test(y, season):
        return naive_forecast(y[-1:], horizon)[0]
    s = seasonal_indices(y, season)
    position = np.arange(n + horizon) % season  # (n + H,), rows 0 .. n-1+H
    return y[-1] / s[position[n - 1]] * s[position[n:]]


def owa(smape: float, mase: float, smape_naive2: float, mase_naive2: float) -> float:
    """The competition's Overall Weighted Average of sMAPE and MASE, relative to Naive2.

    Math:
        OWA = 0.5 · (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)
    The published tables apply it to the means over the series (each figure the mean of the
    per-series sMAPE or MASE), not series by series; Naive2's own OWA is 1. The table's OWA
    column matches this applied to its rounded 3-decimal figures: on M4 Hourly the unrounded
    means give seasonal Naive 0.62750, which the table prints as 0.627, the OWA of 13.912,
    1.193, 18.383, 2.395.

    Raises
    ------
    InputError
        ``smape_naive2`` or ``mase_naive2`` not > 0.

    Example
    -------
    >>> round(owa(13.912, 1.193, 18.383, 2.395), 3), owa(18.383, 2.395, 18.383, 2.395)
    (0.627, 1.0)
    """
    for name, value in (("smape_naive2", smape_naive2), ("mase_naive2", mase_naive2)):
        if not value > 0:
            raise InputError(f"{name} must be > 0, got {value}")
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2)


def benchmark_scores(data: M4Data) -> dict:
    """sMAPE, MASE and OWA of the competition's Naive, seasonal Naive and Naive2 on M4 data.

    Math (series i with training values y, test values y_{n} .. y_{n+H-1}, m_i = its M4 season):
        naive     ŷ_{n-1+h} = y_{n-1}
        snaive    ŷ_{n-1+h} = y_{n-1+h-m·ceil(h/m)}   (metrics.seasonal_naive_forecast)
        naive2    :func:`naive2_forecast` with m_i
        sMAPE_i, MASE_i = :func:`~rnnkit.forecast.metrics.forecast_metrics` of the H forecasts,
                  the MASE scale :func:`~rnnkit.forecast.metrics.mase_scale` (y, m_i)
        sMAPE = mean_i sMAPE_i,  MASE = mean_i MASE_i,  OWA = :func:`owa` (.., Naive2's means)

    Returns
    -------
    dict
        ``"naive"``, ``"snaive"``, ``"naive2"``: each ``{"smape", "mase", "owa"}`` (floats;
        Naive2's OWA is exactly 1.0); ``"per_series"``: a DataFrame with one row per series,
        columns ``id`` and ``<benchmark>_smape``, ``<benchmark>_mase`` for each benchmark.

    Raises
    ------
    InputError
        ``data`` without test values, or a series whose MASE scale is 0 (constant, or exactly
        m-periodic, training values).
    """
    if data.test is None:
        raise InputError("benchmark_scores needs test values: read_m4(train_path, test_path)")
    rows = []
    for series_id, y, actual, m in zip(data.ids, data.train, data.test, data.seasons,
                                       strict=True):
        scale = mase_scale(y, m)
        if scale == 0:
            raise InputError(f"series {series_id}: MASE scale is 0 (its training values repeat "
                             f"exactly with period {m}), so MASE is undefined")
        horizon = len(actual)
        forecasts = {
            "naive": naive_forecast(y[-1:], horizon)[0],
            "snaive": seasonal_naive_forecast(y, np.array([len(y) - 1]), horizon, m)[0],
            "naive2": naive2_forecast(y, horizon, m),
        }
        row = {"id": series_id}
        for name, forecast in forecasts.items():
            scores = forecast_metrics(actual[None], forecast[None], y[-1:], scale)
            row[f"{name}_smape"], row[f"{name}_mase"] = scores["smape"], scores["mase"]
        rows.append(row)
    per_series = pd.DataFrame(rows)
    means = {name: (float(per_series[f"{name}_smape"].mean()),
                    float(per_series[f"{name}_mase"].mean())) for name in BENCHMARKS}
    smape_naive2, mase_naive2 = means["naive2"]
    result: dict = {name: {"smape": s, "mase": q, "owa": owa(s, q, smape_naive2, mase_naive2)}
                    for name, (s, q) in means.items()}
    result["per_series"] = per_series
    return result


def _values(name: str, values: np.ndarray) -> np.ndarray:
    y = np.asarray(values, dtype=np.float64)
    check_shape(name, y.shape, (None,), "(n,)")
    if len(y) == 0:
        raise InputError(f"{name} must hold at least one value, got none")
    if not np.isfinite(y).all():
        row = int(np.flatnonzero(~np.isfinite(y))[0])
        raise InputError(f"{name} must be finite, got {y[row]} at row {row}")
    return y
