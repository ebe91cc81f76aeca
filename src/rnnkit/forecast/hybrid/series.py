"""The hybrid's data: checks, the seasons and window it reads, and series packed as one input.

Many series of different lengths travel together as one array (S, T, 3), left-aligned: the
values (after a series' end its last value repeats, so the smoothing runs on harmlessly), the
part of every row (:data:`.network.FIT`, :data:`.network.VALIDATION` or 0 for the padding) and
the series' row in the smoothing parameters.
"""

import numpy as np

from rnnkit._checks import InputError
from rnnkit.forecast.hybrid.network import FIT, VALIDATION

WEEK_AFTER_DAY = 7  # a day of sub-daily rows (m >= 24) gets the week as its second season


def hybrid_seasons(season: int, lengths: list[int]) -> tuple[int, ...]:
    """The seasons the smoothing takes out: none for m = 1, else m, and with sub-daily rows (a
    day of m >= 24 rows, e.g. hourly data's 24) the week 7m too when the median series holds
    three weeks (a second cycle needs cycles to learn from).

    >>> hybrid_seasons(24, [700, 960]), hybrid_seasons(24, [300]), hybrid_seasons(12, [200])
    ((24, 168), (24,), (12,))
    >>> hybrid_seasons(1, [100])
    ()
    """
    if season <= 1:
        return ()
    week = WEEK_AFTER_DAY * season
    if season >= 24 and np.median(lengths) >= 3 * week:
        return (season, week)
    return (season,)


def hybrid_lookback(seasons: tuple[int, ...], horizon: int) -> int:
    """The input window L: a cycle of the first season, else the horizon kept within [4, 10]
    (ES-RNN's windows for M4's non-seasonal frequencies are 4 to 10).

    >>> hybrid_lookback((24, 168), 48), hybrid_lookback((), 13), hybrid_lookback((), 6)
    (24, 10, 6)
    """
    return seasons[0] if seasons else min(max(horizon, 4), 10)


def hybrid_dilations(seasons: tuple[int, ...]) -> tuple[int, ...]:
    """One LSTM layer per dilation: 1, a sixth of the first season (at least 2), the season and
    the second season (else twice the first); (1, 2, 4, 8) without a season. Hourly data
    gets ES-RNN's (1, 4) then (24, 168).

    >>> hybrid_dilations((24, 168)), hybrid_dilations((12,)), hybrid_dilations(())
    ((1, 4, 24, 168), (1, 2, 12, 24), (1, 2, 4, 8))
    """
    if not seasons:
        return (1, 2, 4, 8)
    first = seasons[0]
    return tuple(sorted({1, max(2, first // 6), first, seasons[-1] if len(seasons) > 1
                         else 2 * first}))


def positive_values(key: str, values: np.ndarray, target: str) -> np.ndarray:
    """``values`` when every one is finite and > 0 (multiplicative seasons and log levels need
    it), else one line naming the series and the row."""
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        where = f"series {key}" if key else f"column {target!r}"
        raise InputError(f"{where} has {values[row]:g} at row {row}: the hybrid's multiplicative "
                         "smoothing needs values > 0 (use --model lstm for other data)")
    return values


def packed_series(series: list[np.ndarray], rows: list[int], validation: int) -> np.ndarray:
    """The series as one input (S, T, 3), T the longest: values, part and row.

    Series k's last ``validation`` values are its validation part (none: 0), the rest its
    fitting part; ``rows[k]`` is its row in the smoothing parameters.

    >>> packed_series([np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])], [0, 1], 1)[..., :2]
    array([[[1., 1.],
            [2., 1.],
            [3., 2.]],
    <BLANKLINE>
           [[4., 1.],
            [5., 2.],
            [5., 0.]]], dtype=float32)
    """
    steps = max(len(y) for y in series)
    x = np.zeros((len(series), steps, 3), dtype=np.float32)
    for k, y in enumerate(series):
        n = len(y)
        x[k, :n, 0], x[k, n:, 0] = y, y[-1]
        x[k, : n - validation, 1] = FIT
        x[k, n - validation: n, 1] = VALIDATION
        x[k, :, 2] = rows[k]
    return x


__all__ = ["hybrid_dilations", "hybrid_lookback", "hybrid_seasons", "packed_series",
           "positive_values"]
