"""The M4 competition's data format and its three benchmarks, checked against its published table.

M4 (Makridakis, Spiliotis & Assimakopoulos 2020, "The M4 Competition: 100,000 time series and
61 forecasting methods", IJF 36) ships each frequency as two wide CSV files: a header
``V1, V2, ...``, then one row per series, its id (``H1``, ``D25``, ...) and its values
left-aligned, shorter series padded with empty cells; the test file holds the next H values of
every series. :func:`read_m4` reads them, :func:`load_m4_hourly` the bundled Hourly subset.

The benchmarks are those of the competition's R code ("Benchmarks and Evaluation.R"): Naive,
seasonal Naive and Naive2 (the naive forecast of the series with its multiplicative seasonality
taken out, then put back, for the series that pass its seasonality test). sMAPE and MASE are
:func:`rnnkit.forecast.metrics.forecast_metrics`'s, with M4's seasonal periods (:func:`m4_season`) in the
MASE scale and in Naive2; :func:`owa` relates them to Naive2. On M4 Hourly,
:func:`benchmark_scores` reproduces every figure of the published table to its 3 decimals.
Pure NumPy / pandas (pandas only for the per-series table).
"""

import csv
import gzip
import itertools
import math
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_positive_int, check_shape
from rnnkit.forecast.metrics import (
    forecast_metrics,
    mase_scale,
    naive_forecast,
    seasonal_naive_forecast,
)

PathLike = str | os.PathLike[str]

# the seasonal periods the competition used for MASE and Naive2, by the id's first letter
_SEASONS = {"H": 24, "M": 12, "Q": 4, "W": 1, "D": 1, "Y": 1}
_ID = re.compile(f"[{''.join(_SEASONS)}][0-9]+")
_TCRIT = 1.645  # the seasonality test's one-sided 95% normal quantile (90% two-sided)
_READ_ERRORS = (OSError, EOFError, UnicodeDecodeError, zlib.error, csv.Error)
BENCHMARKS = ("naive", "snaive", "naive2")
HOURLY_FILES = ("m4-hourly-train.csv.gz", "m4-hourly-test.csv.gz")  # in rnnkit/datasets


def m4_season(series_id: str) -> int:
    """The seasonal period m the competition used for a series, from its id's first letter.

    Math:
        H (hourly) 24, M (monthly) 12, Q (quarterly) 4; W (weekly), D (daily), Y (yearly) 1
    These are the periods of M4's MASE scale and of its Naive2 (the R code's ``frequency``):
    weekly and daily series count as non-seasonal there.

    Raises
    ------
    InputError
        ``series_id`` is not a string starting with one of H, M, Q, W, D, Y.

    Example
    -------
    >>> m4_season("H17"), m4_season("M3"), m4_season("D25")
    (24, 12, 1)
    """
    if not isinstance(series_id, str) or series_id[:1] not in _SEASONS:
        raise InputError(f"series_id must start with one of {', '.join(_SEASONS)} (the M4 "
                         f"frequencies), got {series_id!r}")
    return _SEASONS[series_id[0]]


@dataclass(frozen=True, eq=False)  # eq=False: comparing tuples of arrays has no single truth
class M4Data:
    """M4 series as read from the wide files: ids, training values, test values.

    Attributes
    ----------
    ids
        The series ids in the training file's order.
    train
        Each series' training values y_0 .. y_{n-1} (float64, read-only), padding dropped.
    test
        Each series' next H values, in the order of ``ids``; None without a test file.
    horizon
        H, the test file's width; None without a test file.
    """

    ids: tuple[str, ...]
    train: tuple[np.ndarray, ...] = field(repr=False)  # repr: the ids and H, not every value
    test: tuple[np.ndarray, ...] | None = field(default=None, repr=False)
    horizon: int | None = None

    @property
    def seasons(self) -> tuple[int, ...]:
        """The seasonal period m of each series, :func:`m4_season` of its id."""
        return tuple(m4_season(i) for i in self.ids)


def is_m4_file(path: PathLike) -> bool:
    """Whether a file (plain or gzipped) is in the M4 wide format.

    The format: a header whose cells are exactly V1, V2, ..., Vk (k >= 2, quoted or not), and a
    first data row whose first cell is an M4 id, one of the letters H, D, M, Q, W, Y then digits
    (``H1``, ``D25``). Only those two rows are read; a file that cannot be read is not one.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m4.csv"
    >>> _ = path.write_text('"V1","V2","V3"\\n"H1","5","6"\\n')
    >>> is_m4_file(path)
    True
    """
    try:
        with _open_rows(path) as rows:
            first = list(itertools.islice(rows, 2))
    except _READ_ERRORS:
        return False
    return _format_problem(first) is None


def read_m4(train_path: PathLike, test_path: PathLike | None = None) -> M4Data:
    """Read an M4 training file and, optionally, its test file (plain or gzipped).

    Each row's values are the cells after its id up to its last non-empty cell (the empty cells
    after it are padding). The test file must hold the same ids as the training file (in any
    order; it is put in the training file's order) and a full row of H values for each, H its
    header's width less the id column.

    Raises
    ------
    InputError
        One line naming the file (and line, id and column where there is one): a file that
        cannot be read or is not in the M4 format (:func:`is_m4_file`), an id that is not an M4
        id or appears twice, a row longer than the header, a cell that is not a finite number,
        an empty cell before a row's last value, a series with no values, a test row with
        fewer values than the header's width, ids in one file and not the other.

    Example
    -------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "train.csv").write_text('V1,V2,V3,V4\\nH1,1,2,3\\nH2,4,5,\\n')
    >>> _ = (folder / "test.csv").write_text('V1,V2\\nH2,6\\nH1,4\\n')
    >>> data = read_m4(folder / "train.csv", folder / "test.csv")
    >>> data.ids, [y.tolist() for y in data.train], [y.tolist() for y in data.test], data.horizon
    (('H1', 'H2'), [[1.0, 2.0, 3.0], [4.0, 5.0]], [[4.0], [6.0]], 1)
    """
    ids, train, _ = _read_series(train_path, full=False)
    if test_path is None:
        return M4Data(ids, train)
    test_ids, test, horizon = _read_series(test_path, full=True)
    in_train, in_test = set(ids), set(test_ids)
    train_only = [i for i in ids if i not in in_test]
    if train_only:
        raise InputError(f"{test_path}: no test values for {len(train_only)} series of "
                         f"{train_path}, e.g. {train_only[0]}")
    test_only = [i for i in test_ids if i not in in_train]
    if test_only:
        raise InputError(f"{test_path}: {len(test_only)} series not in {train_path}, e.g. "
                         f"{test_only[0]}")
    by_id = dict(zip(test_ids, test, strict=True))
    return M4Data(ids, train, tuple(by_id[i] for i in ids), horizon)


def load_m4_hourly() -> M4Data:
    """The M4 Hourly subset shipped with rnnkit: 414 series of 700 or 960 values, H = 48.

    Provenance (Mcompetitions/M4-methods, copied byte for byte, then gzipped) and the published
    figures are in ``rnnkit/datasets/SOURCES.md``.

    Example
    -------
    >>> data = load_m4_hourly()
    >>> len(data.ids), data.ids[0], len(data.train[0]), data.horizon, data.seasons[0]
    (414, 'H1', 700, 48, 24)
    """
    folder = resources.files("rnnkit.datasets")
    with (resources.as_file(folder / HOURLY_FILES[0]) as train,
          resources.as_file(folder / HOURLY_FILES[1]) as test):
        return read_m4(train, test)


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
        sMAPE_i, MASE_i = :func:`~rnnkit.forecast.metrics.forecast_metrics` of the H forecasts, the MASE
                  scale :func:`~rnnkit.forecast.metrics.mase_scale` (y, m_i)
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


@contextmanager
def _open_rows(path: PathLike) -> Iterator[Iterator[tuple[int, list[str]]]]:
    """(line number, cells) of each non-blank row of a CSV file, gzipped or not."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"  # the gzip magic number, whatever the name
    opener = gzip.open if gzipped else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        yield ((reader.line_num, row) for row in reader if row)


def _format_problem(first_rows: list[tuple[int, list[str]]]) -> str | None:
    """Why the header and first row are not M4's, or None when they are."""
    if not first_rows:
        return "it is empty"
    header = first_rows[0][1]
    if len(header) < 2 or header != [f"V{j}" for j in range(1, len(header) + 1)]:
        return f"its header must be V1, V2, V3, ..., got {', '.join(header[:3])}"
    if len(first_rows) < 2:
        return "it has no rows below the header"
    line, row = first_rows[1]
    if not _ID.fullmatch(row[0]):
        return f"line {line} starts with {row[0]!r}, not an M4 id such as H1 or D25"
    return None


def _read_series(path: PathLike, full: bool
                 ) -> tuple[tuple[str, ...], tuple[np.ndarray, ...], int]:
    """The ids, value arrays and width (header cells after V1) of one M4 file."""
    try:
        with _open_rows(path) as rows:
            header = next(rows, None)
            first = next(rows, None)
            problem = _format_problem([r for r in (header, first) if r is not None])
            if problem:
                raise InputError(f"{path} is not an M4 file: {problem}")
            width = len(header[1]) - 1
            ids: dict[str, None] = {}  # insertion-ordered, with set lookups for repeats
            series = []
            for line, row in itertools.chain([first], rows):
                ids[_check_id(path, line, row[0], ids)] = None
                series.append(_row_values(path, line, row, width, full))
    except _READ_ERRORS as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise InputError(f"cannot read {path}: {why}") from None
    return tuple(ids), tuple(series), width


def _check_id(path: PathLike, line: int, series_id: str, seen: dict[str, None]) -> str:
    if not _ID.fullmatch(series_id):
        raise InputError(f"{path} line {line}: {series_id!r} is not an M4 id (one of the "
                         f"letters {', '.join(_SEASONS)} then digits)")
    if series_id in seen:
        raise InputError(f"{path} line {line}: id {series_id} appears a second time")
    return series_id


def _row_values(path: PathLike, line: int, row: list[str], width: int, full: bool
                ) -> np.ndarray:
    """One row's values: the cells after the id up to the last non-empty one, as float64."""
    where = f"{path} line {line} ({row[0]})"
    cells = row[1:]
    if len(cells) > width:
        raise InputError(f"{where}: {len(cells)} cells after the id, the header has {width}")
    count = len(cells)
    while count and not cells[count - 1].strip():  # trailing empty cells are padding
        count -= 1
    if count == 0:
        raise InputError(f"{where}: the series has no values")
    if full and count < width:
        raise InputError(f"{where}: {count} values, the header has {width} (test rows must "
                         "be full)")
    try:
        values = np.array(cells[:count], dtype=np.float64)
    except ValueError:  # an empty or non-numeric cell: find it for the message
        values = np.array([_cell_value(where, j, cell) for j, cell in enumerate(cells[:count])])
    if not np.isfinite(values).all():
        j = int(np.flatnonzero(~np.isfinite(values))[0])
        raise InputError(f"{where}: column V{j + 2} is {cells[j]!r}, not a finite number")
    values.setflags(write=False)  # M4Data is frozen; so are its arrays
    return values


def _cell_value(where: str, j: int, cell: str) -> float:
    """Cell j after the id as a float, or an InputError naming its column V{j + 2}."""
    if not cell.strip():
        raise InputError(f"{where}: column V{j + 2} is empty before the row's last value "
                         "(values must be left-aligned, padding only at the end)")
    try:
        return float(cell)
    except ValueError:
        raise InputError(f"{where}: column V{j + 2} is {cell!r}, not a number") from None
