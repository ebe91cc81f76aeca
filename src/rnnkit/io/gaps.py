"""A regular time axis: the spacing of a series' times, and its missing times inserted.

A sorted index of distinct times t_0 < t_1 < ... < t_n has steps d_i = t_i - t_{i-1}. Its
spacing Δ is the most common step (the smallest of those tied). The index is

    regular     when every d_i = Δ: nothing changes;
    gapped      when every d_i = k_i Δ with a whole k_i >= 1: the k_i - 1 times between
                t_{i-1} and t_i are inserted and filled as ``gaps`` says;
    irregular   otherwise (event times): an :class:`~rnnkit._checks.InputError`.

Steps are counted per kind of index, first rule that fits:

    business days  dates at midnight, none on a weekend, the most common step one weekday
                   and some step spanning a weekend: spacing "B". Missing weekdays are market
                   holidays, not gaps: nothing is inserted.
    months         every time the same day of its month (1 to 28), or every one the month's
                   last day, first or last weekday, at one time of day: steps count months
                   (spacing "MS", "ME", "BMS", "BME"; 3 months "QS-JAN", 12 "YS-JAN", ...).
    fixed          a DatetimeIndex otherwise, in elapsed time (UTC): spacing "1D", "1h",
                   "30min"; from one day up a step may differ from k Δ by an hour (a local
                   clock across a change to or from summer time).
    steps          an integer index: spacing "1 step", "5 steps".

Daylight saving time: an hourly index with a UTC offset (or in UTC) is regular across the
change; naive local times lack an hour in spring, a gap that is filled like any other, and
repeat one in autumn, which the reader has already dropped as a repeated time (the last row
kept). The first and last times are never moved: times missing at either end are not gaps.
An axis that would hold more than ``MAX_AXIS_GROWTH`` times as many times as there are rows
(a step of 1 beside one of 1000) is refused rather than filled. This module imports no torch.
"""

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_choice
from rnnkit.io.sniff import PathLike

GAPS = ("interpolate", "zero", "ffill", "error", "keep")
MAX_AXIS_GROWTH = 10  # the full axis holds at most this many times as many times as rows
_FILLED = {"interpolate": "interpolated", "zero": "set to 0",
           "ffill": "filled with the last value"}
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTH_ANCHORS = ("MS", "ME", "BMS", "BME")  # the day of its month each time falls on


class Axis(NamedTuple):
    """A time index on its regular axis: ``full``, the index with its missing times inserted
    (None when the times are irregular, see ``bad``, or too many are missing); the spacing as
    text; what the times are called ("date", "time" or "step"); ``bad``, the position of the
    first time whose step is not a whole multiple of the spacing (-1 when every step is);
    ``missing``, the number of times missing."""

    full: pd.Index | None
    spacing: str
    word: str
    bad: int = -1
    missing: int = 0


def regular_axis(path: PathLike, frame: pd.DataFrame, gaps: str = "interpolate",
                 lines: pd.Series | None = None, unit: str = "line",
                 ) -> tuple[pd.DataFrame, int, str]:
    """``frame`` on a regular time axis: its missing times inserted and filled.

    Parameters
    ----------
    path
        The file, for messages.
    frame
        Float columns without empty cells, indexed by sorted distinct times (a DatetimeIndex
        or an integer index of steps).
    gaps
        How inserted times are filled: "interpolate" (linear in time between the two times
        around them: x_t = x_a + (x_b - x_a)(t - t_a)/(t_b - t_a)), "zero" (0.0), "ffill"
        (x_a, the last value before), "error" (refuse), or "keep": the times as they are,
        neither filled nor checked (event times; trading sessions with nights between).
    lines, unit
        Where each time is in the file (its ``unit``, "line" or "row"), for messages.

    Returns
    -------
    frame, inserted, spacing
        The frame on the full axis (its index keeps its name and dtype), the number of
        times inserted, and the spacing as text ("1D", "1h", "B", "MS", "1 step"; "" for
        fewer than two rows). Inserting warns once: "25 missing dates inserted ...".

    Raises
    ------
    InputError
        The times are irregular (possible from 3 rows on); more than ``MAX_AXIS_GROWTH``
        times as many times as rows would be on the full axis (too many to fill); or times
        are missing and ``gaps`` is "error".
    """
    check_choice("gaps", gaps, GAPS)
    index = frame.index
    if len(index) < 2 or gaps == "keep":
        return frame, 0, ""
    axis = spacing_of(index)
    if axis.bad >= 0:
        later, earlier = index[axis.bad], index[axis.bad - 1]
        raise InputError(f"{path}: the times are irregular (spacing {axis.spacing} most often, "
                         f"but {_when(later)} after {_when(earlier)}"
                         f"{_where(later, lines, unit)}): resample the data to one spacing "
                         "first, or pass `gaps` keep to take them as they are")
    what = axis.word + ("s" if axis.missing != 1 else "")
    if axis.full is None:
        raise InputError(f"{path}: {axis.missing} {what} are missing between the "
                         f"{len(index)} rows from {_when(index[0])} to {_when(index[-1])} "
                         f"(spacing {axis.spacing}): too many to fill; resample the data to "
                         "one spacing first")
    if not axis.missing:
        return frame, 0, axis.spacing
    if gaps == "error":
        first = axis.full[~axis.full.isin(index)][0]
        raise InputError(f"{path}: {axis.missing} {what} missing (the first {_when(first)}, "
                         f"spacing {axis.spacing}): pass `gaps` interpolate, zero or ffill to "
                         "fill them")
    full = frame.reindex(axis.full)
    if gaps == "interpolate":
        how = "time" if isinstance(index, pd.DatetimeIndex) else "index"
        full = full.interpolate(method=how)
    else:
        full = full.fillna(0.0) if gaps == "zero" else full.ffill()
    warnings.warn(f"{path}: {axis.missing} missing {what} inserted (spacing {axis.spacing}) "
                  f"and {_FILLED[gaps]}; `gaps` sets how", stacklevel=4)
    return full, axis.missing, axis.spacing


def spacing_of(index: pd.Index) -> Axis:
    """The regular axis of a sorted index of two or more distinct times (the rules in the
    module's docstring)."""
    if not isinstance(index, pd.DatetimeIndex):
        values = np.asarray(index, dtype=np.int64)
        step = _most_common(np.diff(values))
        spacing = f"{step} step" + ("s" if step != 1 else "")
        return _axis(values, step, 0, spacing, "step",
                     lambda full: pd.Index(full, name=index.name))
    wall = index.tz_localize(None) if index.tz is not None else index  # clock time
    if _business_days(wall):
        return Axis(index, "B", "date")
    months = _months(index, wall)
    if months is not None:
        return months
    ticks = index.asi8  # elapsed time in the index's unit (UTC where it has a time zone)
    step = _most_common(np.diff(ticks))
    per_day = 86400 * _PER_SECOND[index.unit]
    slack = per_day // 24 if step >= per_day else 0

    def times(full: np.ndarray) -> pd.DatetimeIndex:
        stamps = pd.DatetimeIndex(full.view(f"M8[{index.unit}]"), name=index.name)
        return stamps if index.tz is None else stamps.tz_localize("UTC").tz_convert(index.tz)

    return _axis(ticks, step, slack, _duration(step, index.unit),
                 "date" if step >= per_day else "time", times)


def _axis(values: np.ndarray, step: int, slack: int, spacing: str, word: str,
          as_index: Callable[[np.ndarray], pd.Index]) -> Axis:
    """The axis of ``values`` (int64, ascending) with the multiples of ``step`` inserted in
    each longer step: k_i = round(d_i / step) must be >= 1 and |d_i - k_i step| <= slack."""
    diffs = np.diff(values)
    counts = (diffs + step // 2) // step
    bad = np.flatnonzero((counts < 1) | (np.abs(diffs - counts * step) > slack))
    if bad.size:
        return Axis(None, spacing, word, int(bad[0]) + 1)
    extra = counts - 1
    missing = int(extra.sum())
    if len(values) + missing > MAX_AXIS_GROWTH * len(values):
        return Axis(None, spacing, word, missing=missing)
    within = np.arange(missing) - np.repeat(np.cumsum(extra) - extra, extra)  # 0, 1, .. per gap
    inserted = np.repeat(values[:-1], extra) + (within + 1) * step
    return Axis(as_index(np.sort(np.concatenate([values, inserted]))), spacing, word,
                missing=missing)


def _most_common(steps: np.ndarray) -> int:
    """The most common of ``steps``, the smallest of those tied."""
    values, counts = np.unique(steps, return_counts=True)  # values ascending
    return int(values[np.argmax(counts)])


def _business_days(wall: pd.DatetimeIndex) -> bool:
    """Weekday dates at midnight, one weekday apart most often, some step across a weekend."""
    if (wall != wall.normalize()).any() or (wall.day_of_week >= 5).any():
        return False
    days = wall.to_numpy().astype("M8[D]")
    weekdays = np.busday_count(days[:-1], days[1:])
    return _most_common(weekdays) == 1 and bool((np.diff(days).astype(np.int64) > weekdays)
                                                .any())


def _months(index: pd.DatetimeIndex, wall: pd.DatetimeIndex) -> Axis | None:
    """The axis in whole months, if every time falls on one anchor day of its month at one
    time of day (clock time); else None."""
    days = wall.to_numpy().astype("M8[D]")
    clock = wall - wall.normalize()
    if (clock != clock[0]).any():
        return None
    months = days.astype("M8[M]").astype(np.int64)  # months since 1970-01
    anchor = next((a for a in _MONTH_ANCHORS if (_anchor_days(months, a) == days).all()), None)
    if anchor is None:
        if (wall.day != wall.day[0]).any() or wall.day[0] > 28:
            return None
        anchor = int(wall.day[0])
    step = _most_common(np.diff(months))

    def times(full: np.ndarray) -> pd.DatetimeIndex:
        midnights = _anchor_days(full, anchor).astype(f"M8[{index.unit}]")
        stamps = pd.DatetimeIndex(midnights, name=index.name) + clock[0]
        if index.tz is None:
            return stamps
        return stamps.tz_localize(index.tz, ambiguous="raise", nonexistent="shift_forward")

    return _axis(months, step, 0, _month_spacing(step, anchor, int(months[0])), "date", times)


def _anchor_days(months: np.ndarray, anchor: str | int) -> np.ndarray:
    """The day of each month (months since 1970-01) that ``anchor`` names: "MS" the first,
    "ME" the last, "BMS" / "BME" the first / last weekday, an int that day of the month."""
    first = months.astype("M8[M]").astype("M8[D]")
    last = (months + 1).astype("M8[M]").astype("M8[D]") - np.timedelta64(1, "D")
    if anchor == "MS":
        return first
    if anchor == "ME":
        return last
    if anchor == "BMS":
        return np.busday_offset(first, 0, roll="forward")
    if anchor == "BME":
        return np.busday_offset(last, 0, roll="backward")
    return first + np.timedelta64(anchor - 1, "D")


def _month_spacing(step: int, anchor: str | int, first: int) -> str:
    """pandas' name of a spacing of ``step`` months: "MS", "QE-DEC", "BYS-JAN", "2ME";
    "1 month on day 15" for a day that pandas has no name for."""
    if isinstance(anchor, int):
        return f"{step} month{'s' if step != 1 else ''} on day {anchor}"
    if step not in (1, 3, 12):
        return f"{step}{anchor}"
    start = anchor.endswith("S")
    if step == 1:
        return anchor
    month = first % 12  # 0 = January: the year of a "YS" / "YE" spacing starts or ends then
    if step == 3:  # the anchor month of a quarter names the first of a year's 4 (or the last)
        month = month % 3 if start else 9 + (month - 9) % 3
    return f"{anchor[:-2]}{'Q' if step == 3 else 'Y'}{anchor[-1]}-{_MONTHS[month]}"


def _duration(ticks: int, unit: str) -> str:
    """``ticks`` of ``unit`` in the largest unit that divides it: "1D", "6h", "30min", "90s"."""
    per_second = _PER_SECOND[unit]
    for name, size in (("D", 86400 * per_second), ("h", 3600 * per_second),
                       ("min", 60 * per_second), ("s", per_second), ("ms", per_second // 10**3),
                       ("us", per_second // 10**6)):
        if size and ticks % size == 0:
            return f"{ticks // size}{name}"
    return f"{ticks}ns"


def _when(t: object) -> str:
    """A time as the messages write it: 2020-01-05, or 2020-01-05 07:13 (its clock time)."""
    if not isinstance(t, pd.Timestamp):
        return str(t)
    if t == t.normalize():
        return str(t.date())
    if t.second == t.microsecond == t.nanosecond == 0:
        return t.strftime("%Y-%m-%d %H:%M")
    return str(t.tz_localize(None) if t.tz is not None else t)


def _where(t: object, lines: pd.Series | None, unit: str) -> str:
    """" on line 12": where time ``t`` is in the file (its last row, the one kept)."""
    if lines is None:
        return ""
    hits = lines[lines.index == t]
    return f" on {unit} {hits.iloc[-1]}" if len(hits) else ""
