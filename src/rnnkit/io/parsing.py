"""Reading a table's cells and parsing them: what the series and sequence readers share.

:func:`read_raw` turns a CSV or Parquet file (or a pandas frame) into its cells, with each
row's place in the file for messages and how the file was written (:mod:`rnnkit.io.sniff`);
the ``parse_*`` functions turn a column of cells into ids, numbers, dates or a time index, and
raise an :class:`~rnnkit._checks.InputError` naming the file, line and column at the first cell
that is none; :func:`read_dates` decides how dates are written (a format given, day or month
first, ISO 8601). NumPy and pandas only (no torch).
"""

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.io.sniff import (
    PathLike,
    as_datetime,
    as_float,
    decode,
    header_cells,
    header_names,
    sniff_decimal,
    sniff_sep,
)

DATE_NAMES = ("date", "datetime", "timestamp", "time",  # the first four win over the rest
              "ds", "step", "t", "index", "period", "epoch")
STEP_NAMES = ("step", "t", "index", "epoch")  # integers here are steps, never years or YYYYMMDD
PARQUET_SUFFIXES = (".parquet", ".pq")
EPOCH_SECONDS = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01 UTC
MAX_MAGNITUDE = 1e150  # squares (errors, variances) of larger values overflow float64 (1.8e308)
FRAME = "the frame"  # how messages name a pandas frame given instead of a file
_DAY_MONTH = re.compile(  # day, month in numbers: 03.04.2022, 3/4/22 14:30:05.5, 4/3/22 2:30 PM
    r"\d{1,2}(?P<sep>[./-])\d{1,2}(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?: (?P<time>\d{1,2}:\d{2})(?P<seconds>:\d{2})?(?P<fraction>\.\d{1,9})?"
    r"(?P<ampm> ?[AaPp][Mm])?)?")


def source_name(source: "PathLike | pd.DataFrame | pd.Series") -> str:
    """How messages name a data source: its path, or "the frame"."""
    return FRAME if isinstance(source, pd.DataFrame | pd.Series) else str(source)


def read_bytes(path: PathLike, label: str = "") -> bytes:
    """The bytes of the file at ``path``; a folder, a missing or unreadable file is an InputError
    whose message starts with ``label`` (default: the path)."""
    label = label or str(path)
    if Path(path).is_dir():
        raise InputError(f"{label} is a folder, not a file")
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except OSError as e:
        raise InputError(f"{label}: cannot read it ({e.strerror})") from None


def parse_number(cell: str) -> float | None:
    """The cell as a float, or None when it is no number.

    >>> parse_number("1.0e+00"), parse_number("normal")
    (1.0, None)
    """
    try:
        return float(cell)
    except ValueError:
        return None


def read_raw(source: "PathLike | pd.DataFrame | pd.Series", sep: str | None,
             decimal: str | None) -> tuple[pd.DataFrame, str, dict]:
    """The file's cells as strings (CSV) or values (Parquet, a frame), missing as NaN, non-blank
    rows.

    The index holds each row's place in the file: its line for CSV (header = line 1), its
    1-based row for Parquet or a frame; the returned word ("line" / "row") says which. The dict
    says how the file was read: the :class:`~rnnkit.io.tables.CleaningReport` fields sep,
    decimal, encoding, compression. A frame (or Parquet file) keeps its time index as a column.
    """
    path = source_name(source)
    if isinstance(source, pd.DataFrame | pd.Series):
        raw = _frame_cells(source.to_frame() if isinstance(source, pd.Series) else source)
        raw.columns = header_names(path, raw.columns)
        unit, how = "row", {"decimal": decimal or "."}
    elif Path(path).is_dir():
        raise InputError(f"{path} is a folder, not a file")
    elif not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    elif Path(path).suffix.lower() in PARQUET_SUFFIXES:
        try:
            raw = pd.read_parquet(path)
        except ImportError as e:
            raise InputError(f"reading the Parquet file {path} needs pyarrow "
                             "(pip install pyarrow); or save it as CSV") from e
        except (OSError, ValueError, TypeError, NotImplementedError) as e:  # pyarrow's errors
            raise InputError(f"{path} is not a readable Parquet file ({e})") from None
        raw, unit, how = _frame_cells(raw), "row", {"decimal": decimal or "."}
    else:
        text, encoding, compression = decode(path, read_bytes(path))
        sep = sep or sniff_sep(text)
        try:  # every cell as text, so that 'n/a' reaches us instead of becoming NaN
            raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                              skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise InputError(f"{path} is empty") from None
        except pd.errors.ParserError as e:
            raise InputError(f"{path} is not a readable CSV file: {str(e).strip()}") from e
        raw = raw.apply(lambda cells: cells.str.strip()).replace("", np.nan)
        header_names(path, header_cells(text, sep))  # pandas renames repeats (Close.1)
        raw.columns = header_names(path, raw.columns)
        raw.index, unit = np.arange(2, len(raw) + 2), "line"  # blank lines kept for this count
        how = {"sep": sep, "decimal": decimal or sniff_decimal(raw, sep), "encoding": encoding,
               "compression": compression}
    raw = raw.dropna(how="all")
    if raw.empty:
        raise InputError(f"{path} has no data rows")
    return raw, unit, how


def _frame_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame's values with its time index (a DatetimeIndex, or one named like a time) as a
    column, and its rows numbered from 1."""
    if isinstance(frame.index, pd.DatetimeIndex) or str(frame.index.name).lower() in DATE_NAMES:
        frame = frame.reset_index()  # a frame saved with its time index
    else:
        frame = frame.copy()
    frame.index = np.arange(1, len(frame) + 1)
    return frame


def parse_ids(cells: pd.Series) -> pd.Series:
    """Series ids as stripped text ("" where empty)."""
    return cells.astype("string").str.strip().fillna("")


def check_column(path: PathLike, raw: pd.DataFrame, name: str) -> None:
    if name not in raw.columns:
        available = ", ".join(repr(c) for c in raw.columns)
        raise InputError(f"{path} has no column {name!r}; available: {available}")


def is_numeric(cells: pd.Series, decimal: str = ".") -> bool:
    """True for numeric dtypes (not bool) and text columns whose first cell is a number."""
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return not pd.api.types.is_bool_dtype(cells.dtype)
    if not pd.api.types.is_string_dtype(cells.dtype):  # datetimes, categories
        return False
    present = cells.dropna()
    return len(present) > 0 and bool(np.isfinite(as_float(present.iloc[:1], decimal))[0])


def parse_numbers(path: PathLike, cells: pd.Series, unit: str, decimal: str = ".") -> np.ndarray:
    """The column as float64 (NaN where empty); raise at the first cell that is not a number or
    is beyond ±MAX_MAGNITUDE."""
    values = as_float(cells, decimal)
    bad = cells.notna().to_numpy() & ~(np.abs(values) <= MAX_MAGNITUDE)
    if bad.any():
        k = int(bad.argmax())
        why = (f", beyond ±{MAX_MAGNITUDE:g}, whose square float64 cannot hold: rescale the "
               "column") if np.isfinite(values[k]) else ""
        raise InputError(f"{path} {unit} {cells.index[k]}: {cells.name!r} is "
                         f"{_shown(cells.iloc[k])}{why}")
    return values


def _shown(cell: object) -> str:
    """A cell as a message quotes it: text in quotes ('n/a'), a Parquet value as itself (inf)."""
    return repr(cell) if isinstance(cell, str) else str(cell)


def _integers(cells: pd.Series) -> np.ndarray | None:
    """The cells as int64 if every one is an integer (an integer dtype, whole floats below 2^53,
    or text such as "42")."""
    if pd.api.types.is_bool_dtype(cells.dtype):
        return None
    if pd.api.types.is_integer_dtype(cells.dtype):
        fits = not len(cells) or cells.max() <= np.iinfo(np.int64).max  # uint64 may not
        return cells.to_numpy(dtype=np.int64) if fits else None
    if pd.api.types.is_float_dtype(cells.dtype):  # Parquet: 0.0, 1.0, ... are steps
        values = cells.to_numpy(dtype=np.float64)
        whole = (np.abs(values) < 2.0 ** 53).all() and (values == np.trunc(values)).all()
        return values.astype(np.int64) if whole else None
    if pd.api.types.is_string_dtype(cells) and cells.str.fullmatch(r"[+-]?\d{1,18}").all():
        return cells.to_numpy(dtype=str).astype(np.int64)
    return None


def parse_time(path: PathLike, cells: pd.Series, unit: str, dayfirst: bool = False,
               date_format: str = "") -> pd.Index:
    """The time column as a DatetimeIndex "date" or an int64 index "step" (rules: read_series;
    ``dayfirst``, ``date_format``: how dates are written, :func:`read_dates`). With
    ``date_format`` every cell is a date in it, integers too (20200131 with ``%Y%m%d``)."""
    present = cells.dropna()
    ints = _integers(present)
    if ints is None and len(present) and not (pd.api.types.is_string_dtype(cells.dtype)
                                              or pd.api.types.is_datetime64_any_dtype(cells)):
        raise InputError(f"{path}: the time column {cells.name!r} holds {cells.dtype} values "
                         f"such as {present.iloc[0]}, neither dates nor integer steps")
    if date_format or ints is None or not len(ints):
        return pd.DatetimeIndex(parse_dates(path, cells, unit, dayfirst, date_format),
                                name="date")
    if len(present) < len(cells):
        k = int(cells.isna().to_numpy().argmax())
        raise InputError(f"{path} {unit} {cells.index[k]}: {cells.name!r} is empty")
    low, high = EPOCH_SECONDS
    for scale, epoch_unit in ((1, "s"), (1000, "ms")):
        if ((ints >= low * scale) & (ints <= high * scale)).all():
            return pd.DatetimeIndex(pd.to_datetime(ints, unit=epoch_unit), name="date")
    if str(cells.name).lower() not in STEP_NAMES:  # 20200131 and years read as dates before
        with warnings.catch_warnings():  # pandas warns when it has no date format: steps, then
            warnings.simplefilter("ignore", UserWarning)
            dates = pd.to_datetime(cells.astype(str), errors="coerce")
        if dates.notna().all():
            return pd.DatetimeIndex(dates, name="date")
    return pd.Index(ints, dtype="int64", name="step")


def parse_dates(path: PathLike, cells: pd.Series, unit: str, dayfirst: bool = False,
                date_format: str = "") -> pd.Series:
    """The column as datetimes read by :func:`read_dates`; raise at the first cell that is
    empty, not a date, or a date in another format, and when the dates read both day first and
    month first and their order does not settle which."""
    dates, formats = read_dates(cells, dayfirst, date_format)
    if len(formats) == 2:
        day, month = (as_datetime(cells, format=f) for f in formats)
        example = cells.iloc[int((day != month).to_numpy().argmax())]
        raise InputError(f"{path}: the dates in {cells.name!r} read both day first and month "
                         f"first (e.g. {example!r}); pass `dayfirst` or `date_format`")
    bad = dates.isna().to_numpy()
    if bad.any():
        k = int(bad.argmax())
        why = _why_not_a_date(cells, k, bad, unit, dayfirst, date_format, formats)
        raise InputError(f"{path} {unit} {cells.index[k]}: {cells.name!r} is {why}")
    return dates


def read_dates(cells: pd.Series, dayfirst: bool = False,
               date_format: str = "") -> tuple[pd.Series, tuple[str, ...]]:
    """The cells as datetimes, NaT where a cell is empty or not a date in the format chosen, and
    the strftime formats that read them.

    - ``date_format`` given: every cell in exactly that format; returns (date_format,).
    - A numeric day/month date first (03.04.2022, 3/4/22, 03-04-2022 14:30, 4/3/2022 2:30 PM;
      :func:`day_month_formats`): with ``dayfirst`` the day-first format, returned alone;
      without it both orders are tried on every cell. One reads every cell: that one. Both
      read every cell to the same dates (day == month throughout): the day-first one. Both,
      to different dates: the order whose times run in file order wins, by
      (increasing, monotonic one way at least (newest first), evenly spaced: pandas infers
      a frequency such as D, B, h or MS); a tie returns both formats, day first first, with
      the day-first dates. Neither: the one that reads further before its first NaT.
    - Anything else (ISO 8601, 20200131, Apr 3 2022): pandas' own reading from the first
      cell's format, else ISO 8601 throughout (``2020-01-01`` beside ``2020-01-01 10:00``);
      returns ().

    Raises
    ------
    InputError
        ``date_format`` is no strftime format.

    Example
    -------
    >>> dates, formats = read_dates(pd.Series(["01.02.2022", "13.02.2022"]))
    >>> [str(d.date()) for d in dates], formats
    (['2022-02-01', '2022-02-13'], ('%d.%m.%Y',))
    """
    if pd.api.types.is_datetime64_any_dtype(cells):  # a Parquet or frame column of datetimes
        return as_datetime(cells), ()
    if date_format:
        return _in_format(cells, date_format), (date_format,)
    present = cells.dropna()
    formats = day_month_formats(present.iloc[0]) if len(present) else None
    if formats is None:
        dates = as_datetime(cells)
        if dates.isna().any() and not cells.isna().any():
            iso = as_datetime(cells, format="ISO8601")
            dates = iso if iso.notna().all() else dates
        return dates, ()
    if dayfirst:
        return as_datetime(cells, format=formats[0]), formats[:1]
    readings = {f: as_datetime(cells, format=f) for f in formats}  # day first, month first
    complete = [f for f, dates in readings.items() if dates.notna().all()]
    if len(complete) == 2:
        day, month = readings.values()
        if (day == month).all():
            return day, formats[:1]
        order = {f: _in_file_order(dates) for f, dates in readings.items()}
        if order[formats[0]] == order[formats[1]]:
            return day, formats
        complete = [max(formats, key=order.__getitem__)]
    if not complete:  # report the first bad cell of the reading that gets further
        complete = [max(formats, key=lambda f: _first_nat(readings[f]))]
    return readings[complete[0]], (complete[0],)


def day_month_formats(cell: object) -> tuple[str, str] | None:
    """The day-first and month-first strftime formats of a date written with numbers for day
    and month (its separator, 2- or 4-digit year and time fields); None for any other cell.

    >>> day_month_formats("03.04.22 14:30")
    ('%d.%m.%y %H:%M', '%m.%d.%y %H:%M')
    >>> day_month_formats("4/3/2022 2:30 PM"), day_month_formats("2022-04-03")
    (('%d/%m/%Y %I:%M %p', '%m/%d/%Y %I:%M %p'), None)
    """
    match = _DAY_MONTH.fullmatch(cell) if isinstance(cell, str) else None
    if match is None:
        return None
    sep, year, ampm = match["sep"], "%Y" if len(match["year"]) == 4 else "%y", match["ampm"]
    time = ""
    if match["time"]:
        time = (f" {'%I' if ampm else '%H'}:%M{':%S' if match['seconds'] else ''}"
                f"{'.%f' if match['fraction'] else ''}{(ampm[:-2] + '%p') if ampm else ''}")
    return f"%d{sep}%m{sep}{year}{time}", f"%m{sep}%d{sep}{year}{time}"


def reads_as_dates(cells: pd.Series, dayfirst: bool = False, date_format: str = "") -> bool:
    """True if every cell is a date by :func:`read_dates` (dates that read both day first and
    month first count: they are dates, in an order still to settle)."""
    return bool(len(cells)) and bool(read_dates(cells, dayfirst, date_format)[0].notna().all())


def _in_format(cells: pd.Series, date_format: str) -> pd.Series:
    """The cells as datetimes in ``date_format`` exactly (NaT where a cell is not)."""
    if "%" not in date_format:
        raise InputError(f"`date_format` {date_format!r} has no strftime code: write it with "
                         "codes such as %d.%m.%Y or %m/%d/%Y %H:%M")
    text = cells if pd.api.types.is_string_dtype(cells) else cells.astype("string")
    try:
        return as_datetime(text, format=date_format)
    except ValueError as e:  # a bad directive ('%Q') or a stray '%'
        raise InputError(f"`date_format` {date_format!r} is no strftime format ({e}): write "
                         "it with codes such as %d.%m.%Y or %m/%d/%Y %H:%M") from None


def _in_file_order(dates: pd.Series) -> tuple[bool, bool, bool]:
    """(increasing, monotonic either way, evenly spaced): how well the times follow the rows;
    strictly, so a repeated time is in no order. Evenly spaced: pandas infers a frequency."""
    index = pd.DatetimeIndex(dates)
    increasing = index.is_unique and index.is_monotonic_increasing
    monotonic = increasing or (index.is_unique and index.is_monotonic_decreasing)
    if not monotonic or len(index) < 3:
        return increasing, monotonic, False
    with warnings.catch_warnings():  # pandas 3 warns that a later one returns an offset
        warnings.simplefilter("ignore")
        return increasing, monotonic, pd.infer_freq(index.sort_values()) is not None


def _first_nat(dates: pd.Series) -> int:
    """The position of the first NaT (len(dates) if none)."""
    bad = dates.isna().to_numpy()
    return int(bad.argmax()) if bad.any() else len(bad)


def _why_not_a_date(cells: pd.Series, k: int, bad: np.ndarray, unit: str, dayfirst: bool,
                    date_format: str, formats: tuple[str, ...]) -> str:
    """What is wrong with cell ``k``, which :func:`read_dates` left NaT (``bad``: every such
    cell; ``formats``: what read the rest), as a message ends."""
    cell = cells.iloc[k]
    if pd.isna(cell):
        return "empty"
    if date_format:
        return f"{cell!r}, not a date in `date_format` {date_format!r}"
    if dayfirst and formats:
        month_first = day_month_formats(cells.dropna().iloc[0])[1]
        if as_datetime(cells.iloc[k:k + 1], format=month_first).notna().all():
            return (f"{cell!r}, a date that reads only month first, not day first as "
                    "`dayfirst` says: fix it, or leave `dayfirst` out if the dates are written "
                    "month first")
    if bad.all() or as_datetime(cells.iloc[k:k + 1]).isna().all():
        return f"{cell!r}, not a date"
    first = int(np.argmax(~bad))
    hint = " (pass `date_format` if the dates are written in one format)" if formats else ""
    return (f"{cell!r}, a date in another format than {cells.iloc[first]!r} on {unit} "
            f"{cells.index[first]}: write every date in one format{hint}")
