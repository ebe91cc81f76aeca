"""Forecast errors in the target's own units, the baselines every model must beat, and a test.

Forecasts are (n, H) arrays: n forecast origins t (in time order), H steps ahead h = 1 .. H;
``last`` (n,) holds the value y_t observed at each origin, the one the naive forecast repeats.
The seasonal period m comes from the index's spacing (:func:`infer_season`); the seasonal naive
forecast and the MASE scale follow the M4 competition (Makridakis et al. 2020), and
:func:`diebold_mariano` says whether a model's lower error is more than luck. Pure NumPy / SciPy
(pandas only inside :func:`infer_season`, to read an index). Every float in the dicts of
:func:`forecast_metrics` and :func:`diebold_mariano` is finite, or None where the figure is
undefined, so reports go straight into strict JSON.
"""

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from rnnkit._checks import InputError, check_in_range, check_positive_int, check_shape

if TYPE_CHECKING:
    import pandas as pd

_HOUR, _DAY = 3600.0, 86400.0  # seconds


def infer_season(index: "pd.Index") -> int:
    """The seasonal period m of a time index, from the median spacing of its rows.

    Math (Δ = median of t_{i+1} - t_i over the sorted, distinct timestamps; the median
    ignores a few missing rows):
        Δ < 1 hour               m = 1 day / Δ when that is a whole number, else 1
        Δ = 1 hour               m = 24    (the day)
        Δ = 1 day                m = 7     (the week); m = 5 when no row falls on a weekend
                                           though the rows span one (business days)
        Δ = 7 days               m = 52    (the year)
        Δ = 28 .. 31 days        m = 12    (month starts or ends)
        Δ = 89 .. 92 days        m = 4     (quarters)
        Δ = 365 .. 366 days      m = 1     (yearly: no season)
    Anything else, an index that is not made of timestamps (a RangeIndex, integers) or fewer
    than 3 rows gives m = 1. Daily and longer spacings allow an hour either way, so a local
    index over a daylight-saving change still counts as daily. A ``PeriodIndex`` is read as its
    start times. 30 min -> 48, 15 min -> 96, 5 min -> 288; 7 min -> 1 (not a whole number).

    Example
    -------
    >>> import pandas as pd
    >>> infer_season(pd.date_range("2024-01-01", periods=50, freq="h"))
    24
    >>> infer_season(pd.bdate_range("2024-01-01", periods=50))
    5
    >>> infer_season(pd.date_range("2024-01-31", periods=50, freq="ME").delete([3, 7]))
    12
    >>> infer_season(pd.RangeIndex(50))
    1
    """
    import pandas as pd  # the module's only pandas use: reading the index

    index = pd.Index(index)  # a list or Series of timestamps reads as a DatetimeIndex
    if len(index) < 3:
        return 1
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    if not isinstance(index, pd.DatetimeIndex):
        return 1
    stamps = index.dropna().unique().sort_values()
    if len(stamps) < 3:
        return 1
    # subtracting timestamps counts elapsed time (UTC), whatever the index's unit or time zone
    step = float(np.median((stamps[1:] - stamps[:-1]).total_seconds()))
    if step < _HOUR - 1e-6:
        per_day = _DAY / step
        return round(per_day) if abs(per_day - round(per_day)) < 1e-6 else 1
    if abs(step - _HOUR) < 1e-6:
        return 24
    days, slack = step / _DAY, 1 / 24
    if abs(days - 1) <= slack:
        return 5 if _skips_weekends(stamps) else 7
    if abs(days - 7) <= slack:
        return 52
    for low, high, season in ((28, 31, 12), (89, 92, 4), (365, 366, 1)):
        if low - slack <= days <= high + slack:
            return season
    return 1


def _skips_weekends(stamps: "pd.DatetimeIndex") -> bool:
    """True when no row is a Saturday or Sunday although a Saturday lies between first and last."""
    if (stamps.day_of_week >= 5).any():
        return False
    first, last = stamps[0].normalize(), stamps[-1].normalize()
    days_to_saturday = (5 - first.day_of_week) % 7
    return (last - first).days >= days_to_saturday


def naive_forecast(last: np.ndarray, horizon: int) -> np.ndarray:
    """ŷ_{t+h} = y_t: tomorrow equals today (the random-walk forecast).

    Shapes: last (n,) -> (n, H).

    Example
    -------
    >>> naive_forecast(np.array([4.0, 7.0]), 2)
    array([[4., 4.],
           [7., 7.]])
    """
    return np.repeat(np.asarray(last, dtype=float)[:, None], horizon, axis=1)


def drift_forecast(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """ŷ_{t+h} = y_t + h (y_t - y_0) / t: the naive forecast plus the average step so far.

    ``origins`` are row positions t >= 1 in ``series`` (only rows <= t are used).
    Shapes: series (N,), origins (n,) -> (n, H).
    """
    series = np.asarray(series, dtype=float)
    origins = np.asarray(origins)
    slope = (series[origins] - series[0]) / np.maximum(origins, 1)
    steps = np.arange(1, horizon + 1)
    return series[origins][:, None] + slope[:, None] * steps[None, :]


def seasonal_naive_forecast(series: np.ndarray, origins: np.ndarray, horizon: int,
                            season: int) -> np.ndarray:
    """M4's seasonal naive forecast: the last observed season, repeated.

    Math (m = season, origin t, h = 1 .. H):
        ŷ_{t+h} = y_{t+h-m·ceil(h/m)}
    The row read, t + h - m·ceil(h/m), lies in t-m+1 .. t, so only rows <= t are used. With
    m = 1 it is y_t, the naive forecast. An origin with fewer than m rows up to it (t + 1 < m)
    has no full season to repeat and falls back to the naive forecast y_t.

    Parameters
    ----------
    series
        The whole series y_0 .. y_{N-1}, shape (N,).
    origins
        Row positions t of the forecast origins, 0 <= t < N, shape (n,).
    horizon
        H, the steps forecast from each origin.
    season
        m, e.g. from :func:`infer_season`.

    Returns
    -------
    np.ndarray
        Shape (n, H): row i forecasts y_{t_i+1} .. y_{t_i+H}.

    Raises
    ------
    InputError
        ``series`` not 1-D, ``origins`` not integer positions inside it, or ``horizon`` /
        ``season`` not a positive int.

    Example
    -------
    >>> y = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    >>> seasonal_naive_forecast(y, np.array([5]), horizon=4, season=3)
    array([[10., 20., 30., 10.]])
    """
    check_positive_int("horizon", horizon)
    check_positive_int("season", season)
    series = np.asarray(series, dtype=float)
    check_shape("series", series.shape, (None,), "(N,)")
    origins = _check_origins(origins, len(series))
    steps = np.arange(1, horizon + 1)
    lag = season * -(-steps // season)  # m·ceil(h/m), integer ceil
    rows = origins[:, None] + (steps - lag)[None, :]  # (n, H), each in t-m+1 .. t
    short = origins + 1 < season  # no full season yet: the naive forecast
    rows[short] = origins[short, None]
    return series[rows]


def _check_origins(origins: np.ndarray, n_rows: int) -> np.ndarray:
    origins = np.asarray(origins)
    check_shape("origins", origins.shape, (None,), "(n,)")
    if origins.size and not np.issubdtype(origins.dtype, np.integer):
        raise InputError(f"origins must be integer row positions, got dtype {origins.dtype}")
    bad = (origins < 0) | (origins >= n_rows)
    if bad.any():
        # a negative position would count from the end and read the future
        raise InputError(f"origins must lie in [0, {n_rows - 1}] (rows of series), got "
                         f"{int(origins[bad][0])}")
    return origins.astype(np.intp)


def mase_scale(train_series: np.ndarray, season: int = 1) -> float:
    """M4's MASE denominator: the in-sample mean absolute error of the seasonal naive forecast.

    Math (training values y_0 .. y_{n-1}, m = season):
        scale = 1/(n - m) · Σ_{t=m}^{n-1} |y_t - y_{t-m}|
    With n <= m (no full season to compare) it falls back to m = 1, the mean |y_t - y_{t-1}|.
    The value is returned as it is: 0 for a constant (or exactly m-periodic) series, where
    :func:`forecast_metrics` reports MASE as None.

    Raises
    ------
    InputError
        ``train_series`` not 1-D, not finite or with fewer than 2 values, or ``season`` not a
        positive int.

    Example
    -------
    >>> mase_scale(np.array([1.0, 3.0, 2.0, 5.0, 4.0]), season=2)  # (1 + 2 + 2) / 3
    1.6666666666666667
    """
    check_positive_int("season", season)
    y = _finite_array("train_series", train_series)
    check_shape("train_series", y.shape, (None,), "(n,)")
    if len(y) < 2:
        raise InputError(f"train_series needs at least 2 values for a MASE scale, got {len(y)}")
    m = season if len(y) > season else 1
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def forecast_metrics(actual: np.ndarray, predicted: np.ndarray, last: np.ndarray,
                     mase_scale: float) -> dict:
    """MSE, MAE, RMSE, MAPE (%), sMAPE (%), MASE and directional accuracy over every pair.

    Math (over all N = n·H (origin, step) pairs, e = ŷ - y, y_t the value at the origin):
        MSE   = mean e²
        MAE   = mean |e|
        RMSE  = √MSE
        MAPE  = 100 · mean |e / y|                          None when any y = 0
        sMAPE = 200/N · Σ |y - ŷ| / (|y| + |ŷ|)             a pair with |y| + |ŷ| = 0 adds 0 (M4)
        MASE  = MAE / mase_scale                            None when the scale is 0 or not finite
        direction = mean [sign(ŷ - y_t) = sign(y - y_t)]
    With H > 1, ``per_step`` gives the same figures for each step h = 1..H (one dict each).
    Every float is finite or None (a figure that overflows is None too), so the result passes
    ``json.dumps(..., allow_nan=False)``.

    Parameters
    ----------
    actual, predicted
        y and ŷ, shape (n, H), finite.
    last
        y_t at each origin, shape (n,), finite.
    mase_scale
        The denominator from :func:`mase_scale` on the training part.

    Raises
    ------
    InputError
        Shapes that disagree, no forecasts, a value that is NaN or infinite, a negative scale.

    Example
    -------
    >>> m = forecast_metrics(np.array([[2.0], [0.0]]), np.array([[1.0], [0.0]]),
    ...                      np.array([1.5, 0.5]), mase_scale=0.5)
    >>> m["mae"], m["mape"], m["smape"], m["mase"], m["directional_accuracy"]
    (0.5, None, 33.33333333333333, 1.0, 0.5)
    """
    actual = _finite_array("actual", actual)
    check_shape("actual", actual.shape, (None, None), "(n, H)")
    n, horizon = actual.shape
    if n == 0 or horizon == 0:
        raise InputError(f"actual must hold at least one forecast, got shape {actual.shape}")
    predicted = _finite_array("predicted", predicted)
    check_shape("predicted", predicted.shape, (n, horizon), f"({n}, {horizon}) like actual")
    last = _finite_array("last", last)
    check_shape("last", last.shape, (n,), f"({n},), one per origin")
    scale = float(mase_scale)
    if scale < 0:
        raise InputError(f"mase_scale must be >= 0, got {scale}")
    result = _scores(actual, predicted, last[:, None], scale)
    if horizon > 1:
        result["per_step"] = [_scores(actual[:, [h]], predicted[:, [h]], last[:, None], scale)
                              for h in range(horizon)]
    return result


def _finite_array(name: str, value: np.ndarray) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{name} must be finite, got {array[where]} at {where}")
    return array


def _finite(value: float) -> float | None:
    """The value as a float, or None when it is NaN or infinite (an overflow)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _scores(actual: np.ndarray, predicted: np.ndarray, last: np.ndarray, scale: float) -> dict:
    error = predicted - actual
    size = np.abs(actual) + np.abs(predicted)
    # errstate: squares or ratios of huge values overflow to inf, reported as None by _finite
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        mse = _finite(np.mean(error**2))
        mae = _finite(np.mean(np.abs(error)))
        # MAPE is undefined at y = 0 (0 / 0 or x / 0); sMAPE's 0 / 0 (y = ŷ = 0) is no error
        mape = None if (actual == 0).any() else _finite(100 * np.mean(np.abs(error / actual)))
        ratio = np.divide(np.abs(error), size, out=np.zeros_like(size), where=size > 0)
        smape = _finite(200 * np.mean(ratio))
    defined = mae is not None and math.isfinite(scale) and scale > 0
    return {
        "mse": mse, "mae": mae, "rmse": None if mse is None else math.sqrt(mse),
        "mape": mape, "smape": smape,
        "mase": _finite(mae / scale) if defined else None,
        "directional_accuracy": float(np.mean(np.sign(predicted - last) == np.sign(actual - last))),
    }


def skill(model_mse: float, baseline_mse: float) -> float | None:
    """1 - MSE_model / MSE_baseline: > 0 when the model's squared error is lower, 1 when it is 0.

    None when the baseline is perfect (MSE 0): no ratio is defined.

    >>> skill(1.0, 4.0), skill(1.0, 0.0)
    (0.75, None)
    """
    return None if baseline_mse == 0 else 1.0 - model_mse / baseline_mse


def diebold_mariano(errors_model: np.ndarray, errors_baseline: np.ndarray, horizon: int) -> dict:
    """Diebold-Mariano test of equal squared-error accuracy, with the HLN small-sample correction.

    Math (Diebold & Mariano 1995; Harvey, Leybourne & Newbold 1997), for n origins in time
    order, e the (n, H) errors of each forecaster on the same targets, h = ``horizon``:
        d_t = 1/H · Σ_{j=1}^{H} (e_model[t, j]² - e_baseline[t, j]²)     loss differential
        d̄ = 1/n · Σ_t d_t
        γ_k = 1/n · Σ_{t=k+1}^{n} (d_t - d̄)(d_{t-k} - d̄)                 autocovariance at lag k
        V = (γ_0 + 2 Σ_{k=1}^{h-1} γ_k) / n
        (if that is <= 0, which DM's rectangular weights allow for h > 1, the Bartlett weights
         of Newey & West 1987, V = (γ_0 + 2 Σ_{k=1}^{h-1} (1 - k/h) γ_k) / n, never negative)
        DM = d̄ / √V
        DM* = DM · √((n + 1 - 2h + h(h-1)/n) / n)
        p = 2 · P(T > |DM*|),  T ~ Student's t with n - 1 degrees of freedom
    Forecasts h steps ahead from consecutive origins share h - 1 targets, so d is autocorrelated
    up to lag h - 1: pass the farthest step the errors cover (H for whole forecasts, j for one
    column j). With h = 1, DM* is exactly the paired t statistic of d. If V is still 0
    (identical forecasts, or a constant differential) the test returns statistic 0.0 and
    p_value 1.0.

    Parameters
    ----------
    errors_model, errors_baseline
        Forecast errors ŷ - y, shape (n, H) (or (n,) for one step), rows in time order of origin.
    horizon
        h, the forecast horizon that sets the lags in V; n must exceed it.

    Returns
    -------
    dict
        ``statistic`` DM* (< 0: the model's loss is lower), ``p_value`` (two-sided),
        ``mean_loss_difference`` d̄ and ``n``; all finite.

    Raises
    ------
    InputError
        Shapes that differ or are not (n, H), n <= horizon, errors that are not finite or whose
        squares overflow.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> baseline = rng.normal(size=(200, 3))
    >>> test = diebold_mariano(0.5 * baseline, baseline, horizon=3)
    >>> test["statistic"] < 0, test["p_value"] < 1e-6, test["n"], verdict(test)
    (True, True, 200, 'beats')
    """
    check_positive_int("horizon", horizon)
    e_model = _errors("errors_model", errors_model)
    e_baseline = _errors("errors_baseline", errors_baseline)
    if e_model.shape != e_baseline.shape:
        raise InputError(f"errors_model and errors_baseline must have the same shape, got "
                         f"{e_model.shape} and {e_baseline.shape}")
    n = e_model.shape[0]
    if n <= horizon:
        raise InputError(f"errors_model needs more origins than horizon={horizon}, got n={n}")
    with np.errstate(over="ignore", invalid="ignore"):
        d = np.mean(e_model**2 - e_baseline**2, axis=1)  # (n,)
    if not np.isfinite(d).all():
        raise InputError("errors_model and errors_baseline are too large to square in float64")
    d_bar = float(np.mean(d))
    dev = d - d_bar
    gamma = np.array([dev[k:] @ dev[: n - k] for k in range(horizon)]) / n  # γ_0 .. γ_{h-1}
    variance = (gamma[0] + 2 * gamma[1:].sum()) / n
    if variance <= 0:  # the rectangular kernel went negative: Bartlett's cannot
        weights = 1 - np.arange(1, horizon) / horizon
        variance = (gamma[0] + 2 * (weights * gamma[1:]).sum()) / n
    result = {"statistic": 0.0, "p_value": 1.0, "mean_loss_difference": d_bar, "n": n}
    if variance > 0:
        h = horizon
        correction = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)  # > 0 for n > h
        statistic = d_bar / math.sqrt(variance) * correction
        if math.isfinite(statistic):  # a subnormal V could overflow; it means no evidence
            result["statistic"] = statistic
            result["p_value"] = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return result


def _errors(name: str, value: np.ndarray) -> np.ndarray:
    errors = _finite_array(name, value)
    if errors.ndim == 1:
        errors = errors[:, None]  # one step ahead
    check_shape(name, errors.shape, (None, None), "(n, H) or (n,)")
    if errors.shape[1] == 0:
        raise InputError(f"{name} must hold at least one step, got shape {errors.shape}")
    return errors


def verdict(test: dict, level: float = 0.05) -> str:
    """Read a :func:`diebold_mariano` result at significance ``level``.

    Math (p the p-value, d̄ the mean loss difference model - baseline):
        p < level and d̄ < 0    "beats"          (the model's squared error is lower)
        p < level and d̄ > 0    "loses to"
        otherwise               "no significant difference"

    Example
    -------
    >>> verdict({"p_value": 0.01, "mean_loss_difference": -0.3})
    'beats'
    >>> verdict({"p_value": 0.2, "mean_loss_difference": -0.3})
    'no significant difference'
    """
    check_in_range("level", level, 0.0, 1.0, low_open=True, high_open=True)
    missing = {"p_value", "mean_loss_difference"} - set(test)
    if missing:
        raise InputError(f"test must be a diebold_mariano result, missing {sorted(missing)}")
    p, difference = test["p_value"], test["mean_loss_difference"]
    if p < level and difference < 0:
        return "beats"
    if p < level and difference > 0:
        return "loses to"
    return "no significant difference"


def interval_scores(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, scale: float,
                    level: int) -> dict:
    """Empirical coverage of the interval at ``level`` (%) and, at 95, M4's MSIS.

    Math (N pairs of one series, a = 1 - level/100, [L, U] the interval, s the MASE scale):
        coverage = mean [L <= y <= U]
        MSIS     = 1/(N s) Σ (U - L) + (2/a)(L - y)[y < L] + (2/a)(y - U)[y > U]
    (Makridakis et al. 2020, with the seasonal MASE scale of :func:`mase_scale`; None when
    the scale is 0.) Shapes: (n, H) each.

    Example
    -------
    >>> y = np.array([[1.0, 5.0]])
    >>> interval_scores(y, np.array([[0.0, 0.0]]), np.array([[2.0, 2.0]]), 2.0, 95)
    {'coverage_95': 0.5, 'msis': 31.0}
    """
    check_in_range("level", level, 0, 100, low_open=True, high_open=True)
    actual, lower, upper = (_finite_array(name, value) for name, value in (
        ("actual", actual), ("lower", lower), ("upper", upper)))
    result = {f"coverage_{level}": float(np.mean((lower <= actual) & (actual <= upper)))}
    if level == 95:
        penalty = 200 / (100 - level)  # 2/a, exact
        score = (upper - lower + penalty * np.clip(lower - actual, 0, None)
                 + penalty * np.clip(actual - upper, 0, None))
        defined = math.isfinite(scale) and scale > 0
        result["msis"] = _finite(np.mean(score) / scale) if defined else None
    return result
