"""Forecasting data, pure: windows, chronological splits, window normalisation, panels of windows.

A series has N rows in time order, p_0 .. p_{N-1}. With lookback L and horizon H, window i
(i = 0 .. M-1, M = N - L - H + 1) reads rows i .. i+L-1 and predicts rows i+L .. i+L+H-1. Its last
observed row is t = i + L - 1, so its targets are p_{t+h} for h = 1 .. H. Everything learned
from data (scalers, encodings) is fitted on the rows before the test part only; nothing here
reads files or imports torch.
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from rnnkit._checks import (
    InputError,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
    check_shape,
)


def make_windows(
    features: np.ndarray, targets: np.ndarray, lookback: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every (input, target) window of a series, as read-only views (no copy, memory O(N)).

    Math:
        X[i] = features[i : i + L]            rows i .. i+L-1
        Y[i] = targets[i + L : i + L + H]     rows i+L .. i+L+H-1
    Shapes: features (N, F), targets (N,) -> X (M, L, F), Y (M, H), M = N - L - H + 1.

    Raises
    ------
    InputError
        Bad shapes, or N < L + H (no window).

    Example
    -------
    >>> X, Y = make_windows(np.arange(12.0).reshape(6, 2), np.arange(6.0), lookback=3, horizon=2)
    >>> X.shape, Y.shape
    ((2, 3, 2), (2, 2))
    >>> Y[1]
    array([4., 5.])
    """
    check_positive_int("lookback", lookback)
    check_positive_int("horizon", horizon)
    features, targets = np.asarray(features), np.asarray(targets)
    check_shape("features", features.shape, (None, None), "(N, F)")
    n_rows = len(features)
    check_shape("targets", targets.shape, (n_rows,), f"({n_rows},), one per row of features")
    n_windows = n_rows - lookback - horizon + 1
    if n_windows < 1:
        raise InputError(f"lookback={lookback} + horizon={horizon} needs at least "
                         f"{lookback + horizon} rows, the series has {n_rows}")
    X = input_windows(features, lookback)[:n_windows]  # (M, L, F)
    Y = sliding_window_view(targets[lookback:], horizon)  # (M, H)
    return X, Y


def input_windows(features: np.ndarray, lookback: int) -> np.ndarray:
    """Every input window of a series, the last one (ending at its last row) included: a view.

    Math:
        X[i] = features[i : i + L]            rows i .. i+L-1, i = 0 .. N-L
    The first N - L - H + 1 are :func:`make_windows`' X; the last H have targets beyond the data
    (the windows a forecast of the future starts from). Shapes: (N, F) -> (N - L + 1, L, F).

    Example
    -------
    >>> input_windows(np.arange(8.0).reshape(4, 2), lookback=3)[-1, :, 0]
    array([2., 4., 6.])
    """
    check_positive_int("lookback", lookback)
    features = np.asarray(features)
    check_shape("features", features.shape, (None, None), "(N, F)")
    if len(features) < lookback:
        raise InputError(f"lookback={lookback} needs at least {lookback} rows, the series has "
                         f"{len(features)}")
    return sliding_window_view(features, lookback, axis=0).transpose(0, 2, 1)  # (M, L, F)


@dataclass(frozen=True)
class Split:
    """Row boundaries of a chronological split of ``n_rows`` rows.

    Rows [0, fit_end) fit the model, [fit_end, train_end) validate it (the end of the training
    part) and [train_end, n_rows) are the held-out test part, the last rows of the series.
    """

    n_rows: int
    fit_end: int
    train_end: int


def chronological_split(
    n_rows: int, test_fraction: float = 0.2, val_fraction: float = 0.1, min_val_rows: int = 0
) -> Split:
    """Split rows in time order: fit, validation, then the last ``test_fraction`` as test.

    Math:
        train_end = ceil(n_rows (1 - test_fraction))       the tutorial's int(np.ceil(len * .8))
        fit_end   = train_end - max(round(train_end val_fraction), min_val_rows)
    ``val_fraction`` is a fraction of the training part, and with ``val_fraction`` > 0 the
    validation part holds at least ``min_val_rows`` rows (a horizon: one window, as M4
    practice holds out the last horizon of every series). Either fraction may be 0: no
    validation rows, or no test part at all (train_end = n_rows, to fit on every row).

    Raises
    ------
    InputError
        A fraction outside [0, 1), no fit rows, or no test rows for a test_fraction > 0.

    Example
    -------
    >>> chronological_split(1510)
    Split(n_rows=1510, fit_end=1087, train_end=1208)
    """
    check_positive_int("n_rows", n_rows)
    check_in_range("test_fraction", test_fraction, 0.0, 1.0, high_open=True)
    check_in_range("val_fraction", val_fraction, 0.0, 1.0, high_open=True)
    # round first: 10 * (1 - 0.7) is 3.0000000000000004 in floating point, whose ceil is 4
    train_end = math.ceil(round(n_rows * (1 - test_fraction), 9))
    check_non_negative_int("min_val_rows", min_val_rows)
    val_rows = max(round(train_end * val_fraction), min_val_rows) if val_fraction > 0 else 0
    fit_end = train_end - val_rows
    if test_fraction > 0 and train_end == n_rows:
        raise InputError(f"n_rows={n_rows} with test_fraction={test_fraction} leaves no test rows")
    if fit_end < 1:
        raise InputError(f"n_rows={n_rows} with test_fraction={test_fraction} and "
                         f"val_fraction={val_fraction} leaves no rows to fit on")
    return Split(n_rows, fit_end, train_end)


def window_parts(split: Split, lookback: int, horizon: int) -> dict[str, slice]:
    """The windows (of :func:`make_windows`) whose targets all lie in each part of ``split``.

    Window i's targets are rows i+L .. i+L+H-1, so it belongs to the part [start, end) when
    start <= i + L and i + L + H - 1 < end. A window whose targets straddle two parts is in
    neither. Its inputs may reach back into an earlier part: the past is known at that time.

    Returns
    -------
    dict
        ``{"fit": slice, "val": slice, "test": slice}`` of window indices, in time order. "val"
        may be empty (a warning says so when the validation part has rows but no window), and
        so may "test" when the split has no test part (``test_fraction=0``).

    Raises
    ------
    InputError
        The fit part has fewer than L + H rows, or the test part has rows but fewer than H.

    Example
    -------
    >>> window_parts(Split(n_rows=100, fit_end=70, train_end=80), lookback=10, horizon=5)
    {'fit': slice(0, 56, None), 'val': slice(60, 66, None), 'test': slice(70, 86, None)}
    """
    check_positive_int("lookback", lookback)
    check_positive_int("horizon", horizon)
    bounds = {
        "fit": (0, split.fit_end),
        "val": (split.fit_end, split.train_end),
        "test": (split.train_end, split.n_rows),
    }
    parts = {}
    for name, (start, end) in bounds.items():
        first = max(start - lookback, 0)  # first target row i + L >= start
        parts[name] = slice(first, max(end - lookback - horizon + 1, first))  # last one < end
    if parts["fit"].stop == parts["fit"].start:
        raise InputError(f"the fit part has {split.fit_end} rows, fewer than lookback={lookback}"
                         f" + horizon={horizon}: lower lookback or horizon, or test_fraction or "
                         "val_fraction")
    test_rows = split.n_rows - split.train_end
    if test_rows and parts["test"].stop == parts["test"].start:
        raise InputError(f"the test part has {test_rows} rows, fewer than horizon={horizon}: "
                         "raise test_fraction or lower horizon")
    val_rows = split.train_end - split.fit_end
    if val_rows and parts["val"].stop == parts["val"].start:
        warnings.warn(f"the validation part has {val_rows} rows, fewer than horizon={horizon}, "
                      "so it has no window", stacklevel=2)
    return parts


WINDOW_NORMS = ("none", "last", "mean")


def normalize_windows(x: np.ndarray, columns: list[int], how: str) -> np.ndarray:
    """Level-free windows: each window's own last value (or mean) taken off the given columns.

    Math (window i, column c in ``columns``, k = 0 .. L-1):
        last:  x'[i, k, c] = x[i, k, c] - x[i, L-1, c]        (the window ends at 0)
        mean:  x'[i, k, c] = x[i, k, c] - mean_k x[i, k, c]
        none:  x' = x
    The other columns (returns, calendar) are already free of the level and stay as they are.
    Shapes: (M, L, F) -> (M, L, F), a float64 copy (or ``x`` itself for "none").

    Example
    -------
    >>> x = np.array([[[1.0, 5.0], [3.0, 6.0]]])
    >>> normalize_windows(x, [0], "last")[0].tolist()
    [[-2.0, 5.0], [0.0, 6.0]]
    """
    check_choice("how", how, WINDOW_NORMS)
    if how == "none" or not columns:
        return x
    out = np.array(x, dtype=np.float64)
    level = out[:, :, columns]
    reference = level[:, -1:] if how == "last" else level.mean(axis=1, keepdims=True)
    out[:, :, columns] = level - reference
    return out


class PanelWindows:
    """The input windows of many series as one (M, L, F) array, gathered and normalised lazily.

    ``pieces`` are each series' windows (read-only views of :func:`input_windows`, no copy);
    row r of the panel is row r - offsets[k] of piece k. Indexing with rows or a slice gathers
    a float64 copy of just those windows and applies :func:`normalize_windows` to them, so the
    memory grows with the series' raw rows, never with the number of windows. ``extra`` gives
    each piece constant channels (E,) appended to every step: what a series is (a one-hot id,
    static covariates), the same in all of its windows.

    >>> a, b = input_windows(np.arange(5.0)[:, None], 3), input_windows(np.arange(4.0)[:, None], 3)
    >>> panel = PanelWindows([a, b], [0], "last")
    >>> panel.shape, panel[[0, 3]][:, :, 0].tolist()
    ((5, 3, 1), [[-2.0, -1.0, 0.0], [-2.0, -1.0, 0.0]])
    """

    def __init__(self, pieces: list[np.ndarray], columns: list[int], how: str,
                 extra: list[np.ndarray] | None = None) -> None:
        check_choice("how", how, WINDOW_NORMS)
        if not pieces:
            raise InputError("a panel needs at least one series with windows")
        self.pieces, self.columns, self.how, self.extra = pieces, columns, how, extra
        self.offsets = np.cumsum([0] + [len(piece) for piece in pieces])
        width = pieces[0].shape[2] + (len(extra[0]) if extra else 0)
        self.shape = (int(self.offsets[-1]), pieces[0].shape[1], width)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.arange(*rows.indices(len(self))) if isinstance(rows, slice) else np.asarray(rows)
        piece = np.searchsorted(self.offsets, rows, side="right") - 1
        out = np.empty((len(rows), *self.shape[1:]))
        own = self.pieces[0].shape[2]
        for k in np.unique(piece):
            mine = piece == k
            out[mine, :, :own] = self.pieces[k][rows[mine] - self.offsets[k]]
            if self.extra:
                out[mine, :, own:] = self.extra[k]
        return normalize_windows(out, self.columns, self.how)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[slice(None)]
        return out if dtype is None else out.astype(dtype)


def future_index(index: pd.Index, steps: int) -> pd.Index:
    """The ``steps`` times after ``index``: its own spacing continued.

    Daily dates that never fall on a weekend continue as business days; other dates by their
    inferred frequency (or median spacing); integer steps as the next integers.

    >>> list(future_index(pd.Index([3, 4, 5]), 2))
    [6, 7]
    >>> [str(d.date()) for d in future_index(pd.bdate_range("2024-01-03", periods=3), 2)]
    ['2024-01-08', '2024-01-09']
    """
    check_positive_int("steps", steps)
    if not isinstance(index, pd.DatetimeIndex):
        step = int(np.median(np.diff(index))) if len(index) > 1 else 1
        return pd.Index(index[-1] + step * np.arange(1, steps + 1), name=index.name)
    last = index[-1]
    spacing = pd.Series(index[1:] - index[:-1]).median() if len(index) > 1 else pd.Timedelta(
        days=1)
    daily = pd.Timedelta(hours=23) <= spacing <= pd.Timedelta(days=1.5)
    if daily and (index.day_of_week < 5).all():
        return pd.bdate_range(last + pd.Timedelta(days=1), periods=steps, name="date")
    freq = None
    if len(index) >= 3:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index[-min(len(index), 10):])
    if freq is not None:
        return pd.date_range(last, periods=steps + 1, freq=freq, name="date")[1:]
    return pd.DatetimeIndex([last + spacing * (k + 1) for k in range(steps)], name="date")
