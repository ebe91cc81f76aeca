"""What a forecasting network predicts: targets relative to a base, and back to values.

A series has N rows in time order, p_0 .. p_{N-1}; window i (lookback L, horizon H) ends at
row t = i + L - 1 and its targets are p_{t+h}, h = 1 .. H. A network learns them best relative
to what a simple forecast already says (the last value, the last season), so each kind of
target here is an encoding against a base and its exact inverse. Only rows <= t are read.
"""

import numpy as np

from rnnkit._checks import InputError, check_choice, check_positive_int, check_shape
from rnnkit.forecast.metrics import seasonal_naive_forecast
from rnnkit.forecast.windows import make_windows

TARGET_KINDS = ("level", "diff", "sdiff", "log_return")


def _as_series(series: np.ndarray) -> np.ndarray:
    p = np.asarray(series, dtype=np.float64)
    check_shape("series", p.shape, (None,), "(N,)")
    return p


def target_base(series: np.ndarray, lookback: int, n_windows: int, horizon: int, kind: str,
                season: int = 1) -> np.ndarray:
    """What the targets of each window are taken relative to, for every step: b[i, h-1].

    Math (t = i + L - 1 the last input row of window i, m = season):
        level:             b = 0
        diff, log_return:  b = p_t                          (the naive forecast)
        sdiff:             b = p_{t+h-m·ceil(h/m)}          (the seasonal naive forecast)
    Only rows <= t are read, so the windows that end at the series' last row have bases too.
    Shapes: series (N,) -> (n_windows, H).
    """
    check_choice("kind", kind, TARGET_KINDS)
    p = _as_series(series)
    origins = np.arange(lookback - 1, lookback - 1 + n_windows)
    if kind == "level":
        return np.zeros((n_windows, horizon))
    if kind == "sdiff":
        return seasonal_naive_forecast(p, origins, horizon, season)
    return np.repeat(p[origins][:, None], horizon, axis=1)


def encode_targets(series: np.ndarray, lookback: int, horizon: int, kind: str,
                   season: int = 1) -> np.ndarray:
    """Targets of every window, relative to its :func:`target_base` (direct multi-step).

    Math (t = i + L - 1 the last input row of window i, h = 1 .. H, b from target_base):
        level:       y[i, h-1] = p_{t+h}
        diff:        y[i, h-1] = p_{t+h} - p_t
        sdiff:       y[i, h-1] = p_{t+h} - p_{t+h-m·ceil(h/m)}     (what the season misses)
        log_return:  y[i, h-1] = log(p_{t+h} / p_t)
    Shapes: series (N,) -> (M, H), M = N - L - H + 1 (the windows of :func:`make_windows`).

    Raises
    ------
    InputError
        Unknown kind, too short a series, or a value <= 0 with ``kind="log_return"``.

    Example
    -------
    >>> encode_targets(np.array([1.0, 2.0, 4.0, 7.0]), lookback=2, horizon=2, kind="diff")
    array([[2., 5.]])
    """
    check_choice("kind", kind, TARGET_KINDS)
    p = _as_series(series)
    if kind == "log_return" and (p <= 0).any():
        k = int((p <= 0).argmax())
        raise InputError(f"target_kind 'log_return' needs positive values, but value {k} is "
                         f"{p[k]:g}: use 'diff' (or 'auto')")
    _, future = make_windows(p[:, None], p, lookback, horizon)  # (M, H)
    base = target_base(p, lookback, len(future), horizon, kind, season)
    if kind == "log_return":
        return np.log(future / base)
    return future - base


def last_values(series: np.ndarray, lookback: int, n_windows: int) -> np.ndarray:
    """p_t, t = i + L - 1, the last observed value of windows i = 0 .. n_windows-1 (a copy).

    ``n_windows`` may reach N - L + 1: the last window then ends at the series' last row and
    its targets are the unknown future.
    """
    check_positive_int("lookback", lookback)
    check_positive_int("n_windows", n_windows)
    p = _as_series(series)
    if lookback - 1 + n_windows > len(p):
        raise InputError(f"n_windows={n_windows} windows of lookback={lookback} need "
                         f"{lookback - 1 + n_windows} rows, the series has {len(p)}")
    return p[lookback - 1 : lookback - 1 + n_windows].copy()


def decode_targets(encoded: np.ndarray, base: np.ndarray, kind: str) -> np.ndarray:
    """Values from encoded targets: the inverse of :func:`encode_targets`.

    Math (b the :func:`target_base`, p_t for diff and log_return):
        level:               p_{t+h} = y[i, h-1]
        diff, sdiff:         p_{t+h} = b[i, h-1] + y[i, h-1]
        log_return:          p_{t+h} = b[i, h-1] exp(y[i, h-1])
    Shapes: encoded (M, H), base (M, H) or (M,) (one base for every step) -> (M, H).
    """
    check_choice("kind", kind, TARGET_KINDS)
    y = np.asarray(encoded, dtype=np.float64)
    check_shape("encoded", y.shape, (None, None), "(M, horizon)")
    base = np.asarray(base, dtype=np.float64)
    if base.shape == (len(y),):
        base = base[:, None]
    elif base.shape != y.shape:
        raise InputError(f"base must have shape ({len(y)},) or {y.shape} like encoded, got "
                         f"{base.shape}")
    if kind == "level":
        return y.copy()
    if kind == "log_return":
        return base * np.exp(y)
    return base + y
