"""Reading time-series tables: CSV/Parquet (or a pandas frame) in, a clean float64 frame out,
with a report of what was cleaned.

:func:`read_series` decodes the file (UTF-8 with or without a BOM, UTF-16 with a BOM, gzip),
detects the separator and the decimal mark, keeps one series of a long-format file, finds the
time column (dates, Unix epoch seconds or milliseconds, or integer steps), and cleans: sort,
drop repeated rows, forward-fill empty cells, insert missing times on the series' regular
axis (:mod:`rnnkit.io.gaps`). Every cell is an empty cell or a finite number;
anything else is an :class:`~rnnkit._checks.InputError` naming the file, line and column.
The cells are read and parsed by :mod:`rnnkit.io.parsing`. This module imports no torch.
"""

import warnings
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_choice
from rnnkit.io.gaps import regular_axis
from rnnkit.io.parsing import (
    DATE_NAMES,
    check_column,
    is_numeric,
    parse_ids,
    parse_numbers,
    parse_time,
    read_raw,
    reads_as_dates,
    source_name,
)
from rnnkit.io.sniff import PathLike, is_grouped


@dataclass(frozen=True)
class CleaningReport:
    """What :func:`read_series` changed on the way in, and how it read the file.

    Parameters
    ----------
    rows_read
        Data rows read (blank lines not counted); with ``series``, the rows of that series.
    duplicates_dropped
        Rows dropped because a later row repeats them exactly, or has the same time.
    filled
        Per column, the empty cells filled with the last value before them.
    leading_dropped
        Rows dropped at the start because some column had no earlier value to fill from.
    sep, decimal, encoding, compression
        How a CSV file was read: separator, decimal mark, text encoding ("utf-8",
        "utf-8-sig", "utf-16-le" or "utf-16-be") and "gzip" or "". Parquet leaves the defaults.
    series
        The id of the series kept from a long-format file, or None.
    thousands
        The thousands mark some value cells were written with ("," as in 1,234.5, or "." as
        in 1.234,5), or "".
    inserted, spacing, gaps
        The missing times inserted to make the time axis regular, the spacing of its times
        ("1D", "1h", "B", "MS", "1 step"; "" for a single row), and how the inserted rows were
        filled ("interpolate", "zero" or "ffill"): :func:`rnnkit.io.gaps.regular_axis`.
    """

    rows_read: int
    duplicates_dropped: int
    filled: dict[str, int]
    leading_dropped: int
    sep: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    compression: str = ""
    series: str | None = None
    thousands: str = ""
    inserted: int = 0
    spacing: str = ""
    gaps: str = "interpolate"

    def to_dict(self) -> dict:
        """The report as a JSON-ready dict (a copy).

        The fields after ``leading_dropped`` appear only where they differ from their
        defaults, so a plain UTF-8 comma-separated file keeps the four counts it always had.
        """
        out = asdict(self)
        for f in fields(self)[4:]:
            if out[f.name] == f.default:
                del out[f.name]
        return out


def read_series(
    path: PathLike | pd.DataFrame, date_column: str | None = None,
    columns: list[str] | None = None, *, sep: str | None = None, decimal: str | None = None,
    id_column: str | None = None, series: str | None = None, dayfirst: bool = False,
    date_format: str = "", gaps: str = "interpolate", no_dates: bool = False,
) -> tuple[pd.DataFrame, CleaningReport]:
    """Read a time series file into a float64 frame indexed by time, sorted and gap-filled.

    Parameters
    ----------
    path
        A CSV file, plain or gzip-compressed (by the ``.gz`` suffix or its magic bytes), in
        UTF-8 (with or without a BOM) or UTF-16 with a BOM; or Parquet if the name ends in
        ``.parquet`` / ``.pq`` (needs pyarrow); or a pandas DataFrame (its DatetimeIndex, or an
        index named like a time, is its time column), read as a Parquet file is.
    date_column
        The column holding the times. Default: the first column named date, datetime,
        timestamp or time (any case), else the first named ds, step, t, index, period or epoch
        (in that order), else the first non-numeric column whose values all parse as dates.
    columns
        The value columns to keep, in this order. Default: every other numeric column (a column
        is numeric when its first non-empty cell is a number), never ``id_column``.
    sep
        The CSV separator. Default: of ``,`` ``;`` tab ``|``, the one that splits most of the
        first 50 records into as many cells as the header (2 or more); then more cells wins,
        then that order.
    decimal
        The decimal mark, "." or ",". Default: "," when ``sep`` is not "," and some cell is a
        comma-decimal number such as ``12,5`` or ``1.234,5``, else ".". A number may group its
        digits by threes with the other mark (``1,234.5``; with ",", ``1.234,5``); any other
        use of it is an error (with ",", ``1.5``).
    id_column, series
        For a long-format file (one row per time and series): the column naming each row's
        series, and the id to keep (compared as stripped text). Only that series' rows are
        read, before any other step. Both or neither.
    dayfirst, date_format
        How dates are written: ``dayfirst`` reads 03.04.2022 as 3 April (without it the order
        is decided from the dates); ``date_format`` gives the strftime format outright.
    gaps
        What fills the missing times of a regular series: "interpolate", "zero", "ffill",
        "error" or "keep" (:mod:`rnnkit.io.gaps`).
    no_dates
        The file has no time column: its rows, in file order, are the steps 0, 1, ...

    Returns
    -------
    frame, report
        ``frame`` has float64 columns and an ascending index: a DatetimeIndex named "date",
        or an int64 index named "step"; ``report`` is the :class:`CleaningReport`.

    Notes
    -----
    The time column: with ``date_format``, every cell a date in exactly that format. Else
    dates written with numbers for day and month (``03.04.2022``, ``3/4/22``,
    ``03-04-2022 14:30``, ``4/3/2022 2:30 PM``; the first cell gives the separator, year digits
    and time fields) are read day first with ``dayfirst``; without it, in the order (day or
    month first) that reads every cell. When both do, to different dates (every day at most
    12), the order whose times increase down the file wins, then one whose times are monotonic
    (newest first), then one whose times are evenly spaced (daily, business days, month
    starts: a frequency pandas infers); no winner is an error (pass ``dayfirst`` or
    ``date_format``). Other dates as pandas parses them (the format of the first date), else
    in ISO 8601 (``2020-01-01`` beside ``2020-01-01 10:00``); times with different UTC offsets
    (as across a change to summer time) become UTC. Or, when every cell is an integer, Unix
    epoch seconds if all lie in 2000-01-01 .. 2100-01-01 (946684800 .. 4102444800), epoch
    milliseconds if all lie in 1000 x that range, else dates if pandas reads every value as a
    date (20200131, a year; not in a column named step, t, index or epoch), else steps.

    Cleaning, in order: drop rows that a later row repeats exactly (same time and values) and
    warn; if times still repeat and a text column with at most half as many distinct values
    as rows makes (time, that column) unique, refuse (the file is long-format: pass
    ``id_column`` and ``series``); sort by time (stable); for each repeated time keep the
    last row and warn with the count; fill empty cells with the last earlier value of their
    column; drop the leading rows that still have an empty cell.
    Then the times are put on their regular axis (:func:`rnnkit.io.gaps.regular_axis`): the
    spacing inferred (business days, months, a fixed step), missing times inserted and filled
    as ``gaps`` says (one warning), irregular times refused unless ``gaps`` is "keep"; the
    report's ``inserted`` and ``spacing`` say what was found. A cell is empty or a finite
    number of magnitude at most ``MAX_MAGNITUDE`` (1e150: rnnkit squares values, and float64
    holds squares up to 1.8e308); anything else (``n/a``, ``inf``, ``$12``) is an error, never
    silently turned into a missing value.

    Raises
    ------
    InputError
        The file is missing, a folder, unreadable, empty, an archive or a spreadsheet, not
        decodable or has no data rows; two columns have one name; no time column is found; a
        column or series is unknown (the message lists those available);
        a date does not parse; a value is not a number (``prices.csv line 17: 'Close' is
        'n/a'``, the header being line 1); the file is long-format without ``id_column``; or no
        row is left. ``columns=[]`` is an error too.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "prices.csv"
    >>> _ = path.write_text("Date;Close\\n2020-01-02;12,5\\n2020-01-03;13\\n")
    >>> frame, report = read_series(path)
    >>> frame["Close"].tolist(), report.sep, report.decimal
    ([12.5, 13.0], ';', ',')
    """
    if columns is not None and not columns:
        raise InputError("columns must name at least one column, got []; None keeps all numeric")
    if sep is not None and (len(sep) != 1 or sep in "\"\r\n"):
        raise InputError(f"sep must be one character such as ',', ';', '\\t' or '|', got {sep!r}")
    if decimal is not None:
        check_choice("decimal", decimal, (".", ","))
    if series is not None and id_column is None:
        raise InputError(f"`series` {series} without `id_column`: name the column that holds "
                         "each row's series id in `id_column` (e.g. Name)")
    raw, unit, how = read_raw(path, sep, decimal)
    path = source_name(path)
    if id_column is not None:
        raw = _one_series(path, raw, id_column, series)
    times = {"dayfirst": dayfirst, "date_format": date_format, "gaps": gaps,
             "no_dates": no_dates}
    return _series_from_raw(path, raw, unit, how, date_column, columns, id_column, series, times)


def read_panel(
    path: PathLike | pd.DataFrame, date_column: str | None = None,
    columns: list[str] | None = None, *, id_column: str, series: list[str] | None = None,
    sep: str | None = None, decimal: str | None = None, dayfirst: bool = False,
    date_format: str = "", gaps: str = "interpolate", no_dates: bool = False,
) -> dict[str, tuple[pd.DataFrame, CleaningReport]]:
    """Every series of a long-format file (or those in ``series``), each read as by
    :func:`read_series` with that ``series``: {id: (frame, report)} in the file's order.

    The file is read and decoded once; each series is then cleaned on its own rows (its own
    time column, sorting, duplicates and gaps). What the cleaning says of the series is one
    warning for the file: how many series, and the first one's words.

    Raises
    ------
    InputError
        As :func:`read_series`; an id of ``series`` that is not in the file.
    """
    raw, unit, how = read_raw(path, sep, decimal)
    path = source_name(path)
    check_column(path, raw, id_column)
    ids = parse_ids(raw[id_column])
    wanted = list(dict.fromkeys(ids[ids != ""])) if series is None else [str(s).strip()
                                                                         for s in series]
    groups = dict(iter(raw.groupby(ids.to_numpy(), sort=False)))
    times = {"dayfirst": dayfirst, "date_format": date_format, "gaps": gaps,
             "no_dates": no_dates}
    panel, said = {}, {}
    for name in wanted:
        if name not in groups:
            _one_series(path, raw, id_column, name)  # raises, listing the ids there are
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            panel[name] = _series_from_raw(path, groups[name], unit, how, date_column, columns,
                                           id_column, name, times)
        if caught:
            said[name] = "; ".join(str(w.message).removeprefix(f"{path}: ") for w in caught)
    if said:
        first = next(iter(said))
        warnings.warn(f"{path}: {len(said)} of {len(panel)} series were cleaned on the way in "
                      f"(series {first}: {said[first]})", stacklevel=2)
    return panel


def _series_from_raw(path: PathLike, raw: pd.DataFrame, unit: str, how: dict,
                     date_column: str | None, columns: list[str] | None,
                     id_column: str | None, series: str | None, times: dict,
                     ) -> tuple[pd.DataFrame, CleaningReport]:
    """The cleaned frame and report of one series' raw rows (the rest of read_series);
    ``times``: read_series' dayfirst, date_format, gaps and no_dates."""
    order = {"dayfirst": times["dayfirst"], "date_format": times["date_format"]}
    no_dates = times.get("no_dates", False)
    if no_dates and date_column is not None:
        raise InputError(f"`date_column` {date_column} and `no_dates`: a file has a time column "
                         "or not; drop one")
    if date_column is None and not no_dates:
        date_column = find_date_column(path, raw, skip=id_column, **order)
    for name in [*([] if no_dates else [date_column]), *(columns or [])]:
        check_column(path, raw, name)
    if id_column is not None and id_column in (columns or []):
        raise InputError(f"{path}: {id_column!r} is the id column, not a value column; "
                         "leave it out of columns")
    if columns is None:
        columns = [c for c in raw.columns if c not in (date_column, id_column)
                   and is_numeric(raw[c], how["decimal"])]
        if not columns:
            dates = "" if no_dates else f" besides the dates in {date_column!r}"
            raise InputError(f"{path} has no numeric column{dates}"
                             f"{_first_text(raw, (date_column, id_column), unit)}")
    time = (pd.Index(np.arange(len(raw), dtype=np.int64), name="step") if no_dates
            else parse_time(path, raw[date_column], unit, **order))  # rows in file order
    values = {c: parse_numbers(path, raw[c], unit, how["decimal"]) for c in columns}
    grouped = any(is_grouped(raw[c], how["decimal"]).any() for c in columns)
    word = "date" if isinstance(time, pd.DatetimeIndex) else "step"
    rows = pd.DataFrame(dict(enumerate([np.asarray(time), *values.values()])))
    exact = rows.duplicated(keep="last").to_numpy()  # the last keeps its place, as below
    if exact.any():
        warnings.warn(f"{path}: dropped {exact.sum()} rows repeated exactly (same {word} and "
                      "values) later in the file", stacklevel=2)
    frame = pd.DataFrame(values, index=time)[~exact]
    if id_column is None and frame.index.has_duplicates:
        _refuse_long_format(path, raw[~exact], frame.index, unit, [date_column, *columns],
                            how["decimal"])
    frame, repeated, filled, leading = _clean(path, frame, word)
    lines = pd.Series(raw.index[~exact], index=time[~exact])  # where each time is in the file
    frame, inserted, spacing = regular_axis(path, frame, times["gaps"], lines, unit)
    report = CleaningReport(rows_read=len(raw), duplicates_dropped=int(exact.sum()) + repeated,
                            filled=filled, leading_dropped=leading,
                            series=None if series is None else str(series).strip(),
                            thousands=("," if how["decimal"] == "." else ".") if grouped else "",
                            inserted=inserted, spacing=spacing, gaps=times["gaps"], **how)
    return frame, report



def _first_text(raw: pd.DataFrame, skip: tuple, unit: str) -> str:
    """Where a column that is not numeric shows it: ": 'Close' holds '$100.13' on line 2, not
    a number", for the first other column with a cell, or ""."""
    for name in (c for c in raw.columns if c not in skip):
        cells = raw[name].dropna().astype(str).str.strip()
        cells = cells[cells != ""]
        if len(cells):
            return (f": {name!r} holds {cells.iloc[0]!r} on {unit} {cells.index[0]}, "
                    "not a number")
    return ""


def _id_summary(ids: pd.Series) -> tuple[int, str]:
    """How many series, and the one with the most rows (the first such in the file)."""
    counts = ids[ids != ""].value_counts(sort=False)  # in order of first appearance
    return len(counts), str(counts.idxmax()) if len(counts) else ""


def _one_series(path: PathLike, raw: pd.DataFrame, id_column: str,
                series: str | None) -> pd.DataFrame:
    """The rows of ``raw`` whose ``id_column`` equals ``series``."""
    check_column(path, raw, id_column)
    ids = parse_ids(raw[id_column])
    count, example = _id_summary(ids)
    if not count:
        raise InputError(f"{path}: the id column {id_column!r} is empty in every row")
    if series is None:
        raise InputError(f"`id_column` {id_column} without `series`: pick one series with "
                         f"`series` ({count} in the file, e.g. {example}); forecasting every "
                         "series at once needs a global model")
    keep = (ids == str(series).strip()).to_numpy()
    if not keep.any():
        names = sorted(set(ids) - {""})
        listed = ", ".join(repr(n) for n in names[:5])
        listed = f"e.g. {listed}, ..." if len(names) > 5 else listed
        raise InputError(f"{path}: no series {series!r} in column {id_column!r} "
                         f"({count} series, {listed})")
    return raw[keep]


class LongFormat(InputError):
    """A long-format file read as one series; ``id_column`` is the column naming the series."""

    def __init__(self, message: str, id_column: str) -> None:
        super().__init__(message)
        self.id_column = id_column


def _refuse_long_format(path: PathLike, raw: pd.DataFrame, time: pd.Index, unit: str,
                        used: list[str], decimal: str) -> None:
    """Raise if a text column names the series: it makes the repeated times unique, and it has
    at most half as many distinct values as rows (free text such as notes has about one each)."""
    later = int(np.argmax(time.duplicated()))
    earlier = int(np.argmax(time == time[later]))
    when = time[later]
    if isinstance(when, pd.Timestamp):
        when = when.date() if when == when.normalize() else when
    for name in raw.columns:
        if name in used or is_numeric(raw[name], decimal):
            continue
        ids = parse_ids(raw[name])
        if 2 * ids.nunique() > len(ids):
            continue
        if not pd.DataFrame({"t": np.asarray(time), "id": ids.to_numpy()}).duplicated().any():
            count, example = _id_summary(ids)
            what = "dates" if isinstance(time, pd.DatetimeIndex) else "steps"
            raise LongFormat(f"{path}: {what} repeat ({when} on {unit}s {raw.index[earlier]} "
                             f"and {raw.index[later]}): this looks like a long-format file with "
                             f"one series per {name!r}; pass `id_column` {name} and `series` "
                             f"<one of {count}, e.g. {example}>", name)



def find_date_column(path: PathLike, raw: pd.DataFrame, skip: str | None,
                      dayfirst: bool = False, date_format: str = "") -> str:
    """The first column named like a time (DATE_NAMES, the first four first), else the first
    non-numeric column without empty cells whose every cell is a date by
    :func:`~rnnkit.io.parsing.read_dates` (so dd.mm.yyyy or mm/dd/yyyy too, written as
    ``dayfirst`` and ``date_format`` say)."""
    names = {c: str(c).lower() for c in raw.columns if c != skip}
    for name, lower in names.items():  # today's four names, in file order
        if lower in DATE_NAMES[:4]:
            return name
    for word in DATE_NAMES[4:]:
        for name, lower in names.items():
            if lower == word:
                return name
    for name in names:
        cells = raw[name]
        if is_numeric(cells) or cells.isna().any():
            continue
        if reads_as_dates(cells, dayfirst, date_format):
            return name
    names = ", ".join(DATE_NAMES)
    raise InputError(f"{path} has no date column: none is named {names}, and none parses as "
                     "dates in every row; pass `date_column`, or `no_dates` when the rows "
                     "have no times")








def _clean(path: PathLike, frame: pd.DataFrame,
           word: str) -> tuple[pd.DataFrame, int, dict[str, int], int]:
    """Sort by time, drop repeated times (keep the last), forward-fill, drop unfillable rows.

    Returns the frame, the rows dropped for a repeated time, the cells filled per column and
    the leading rows dropped.
    """
    frame = frame.sort_index(kind="stable")  # stable: the last row of a time stays the last
    duplicated = frame.index.duplicated(keep="last")
    if duplicated.any():
        warnings.warn(f"{path}: dropped {duplicated.sum()} rows whose {word} appears again later "
                      f"(kept the last row of each {word})", stacklevel=3)
        frame = frame[~duplicated]
    missing = frame.isna()
    frame = frame.ffill()
    unfilled = frame.isna().any(axis=1).to_numpy()  # only leading rows: nothing before them
    if unfilled.all():
        raise InputError(f"{path}: no row has a value in every column of {list(frame.columns)}")
    leading = int(unfilled.argmin())
    filled = {c: int(missing[c].iloc[leading:].sum()) for c in frame.columns}
    return frame.iloc[leading:], int(duplicated.sum()), filled, leading
