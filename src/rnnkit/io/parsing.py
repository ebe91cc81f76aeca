"""Reading a table's cells and parsing them: what the series and sequence readers share.

:func:`read_raw` turns a CSV or Parquet file (or a pandas frame) into its cells, with each
row's place in the file for messages and how the file was written (:mod:`rnnkit.io.sniff`);
the ``parse_*`` functions turn a column of cells into ids, numbers, dates or a time index, and
raise an :class:`~rnnkit._checks.InputError` naming the file, line and column at the first cell
that is none. NumPy and pandas only (no torch).
"""

import io
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
    ``dayfirst``, ``date_format``: how dates are written, :func:`parse_dates`)."""
    present = cells.dropna()
    ints = _integers(present)
    if ints is None and len(present) and not (pd.api.types.is_string_dtype(cells.dtype)
                                              or pd.api.types.is_datetime64_any_dtype(cells)):
        raise InputError(f"{path}: the time column {cells.name!r} holds {cells.dtype} values "
                         f"such as {present.iloc[0]}, neither dates nor integer steps")
    if ints is None or not len(ints):
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
    """The column as datetimes (in one format, else ISO 8601); raise at the first cell that is
    empty, not a date, or a date in another format."""
    dates = as_datetime(cells)
    if dates.isna().any() and not cells.isna().any():
        iso = as_datetime(cells, format="ISO8601")
        dates = iso if iso.notna().all() else dates
    bad = dates.isna().to_numpy()
    if bad.any():
        k, first = int(bad.argmax()), int(np.argmax(~bad))
        cell = cells.iloc[k]
        what = "empty" if pd.isna(cell) else f"{cell!r}, not a date"
        if not (pd.isna(cell) or bad.all() or as_datetime(cells.iloc[k:k + 1]).isna().all()):
            what = (f"{cell!r}, a date in another format than {cells.iloc[first]!r} on {unit} "
                    f"{cells.index[first]}: write every date in one format")
        raise InputError(f"{path} {unit} {cells.index[k]}: {cells.name!r} is {what}")
    return dates
