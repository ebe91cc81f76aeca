"""One stream: a file's rows in the order they arrived, every row kept, as a detector reads them.

A forecaster puts a series on its regular time axis (sorted, repeated times dropped, gaps
filled: :mod:`rnnkit.io.tables`); a stream is scored row by row as it arrived, and its
results must line up with the file's rows (NAB's scorer reads them back by timestamp). So the
reader here keeps the file's order and every row, and the time cells as they are written:

- the time column is found and parsed as :func:`~rnnkit.io.tables.read_series` finds and
  parses it (``date_column``, ``dayfirst``, ``date_format``); times that repeat or step back
  are kept, with one warning;
- the value column is ``column``, else the only other column, else the only numeric one;
- an empty value cell takes the last value before it (the first value for leading ones), with
  one warning; any other non-number is the readers' one-line error.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cpu.csv"
>>> _ = path.write_text("timestamp,value\\n2020-01-01 00:00:00,3\\n2020-01-01 00:05:00,\\n")
>>> with warnings.catch_warnings(record=True) as said:  # the empty cell: one warning
...     warnings.simplefilter("always")
...     stream = read_stream(path)
>>> len(said), stream.timestamps, stream.values.tolist(), stream.column
(1, ['2020-01-01 00:00:00', '2020-01-01 00:05:00'], [3.0, 3.0], 'value')
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.io.parsing import (
    check_column,
    is_numeric,
    parse_numbers,
    parse_time,
    read_raw,
    source_name,
)
from rnnkit.io.sniff import PathLike
from rnnkit.io.tables import find_date_column


@dataclass(frozen=True)
class Stream:
    """A file's rows in file order: ``timestamps`` (the time cells as written), ``time``
    (parsed), ``values`` (float64) of ``column``, and ``source`` (the file)."""

    source: str
    timestamps: list[str]
    time: pd.Index
    values: np.ndarray
    column: str


def read_stream(path: PathLike | pd.DataFrame, column: str = "", *, date_column: str = "",
                sep: str | None = None, decimal: str | None = None, dayfirst: bool = False,
                date_format: str = "") -> Stream:
    """Read one stream (module docstring).

    Raises
    ------
    InputError
        What :func:`~rnnkit.io.tables.read_series` raises for an unreadable file, a missing
        time column or a bad cell; no numeric column, or several and no ``column``; a value
        column with no number at all.
    """
    raw, unit, how = read_raw(path, sep, decimal)
    name = source_name(path)
    order = {"dayfirst": dayfirst, "date_format": date_format}
    date_column = date_column or find_date_column(name, raw, skip=None, **order)
    check_column(name, raw, date_column)
    if column:
        check_column(name, raw, column)
    else:
        others = [c for c in raw.columns if c != date_column]
        numeric = [c for c in others if is_numeric(raw[c], how["decimal"])]
        numeric = others if len(others) == 1 else numeric  # its cells say what is wrong
        if len(numeric) != 1:
            found = ", ".join(map(repr, numeric)) if numeric else "none"
            raise InputError(f"{name}: the value column is not clear (numeric columns: "
                             f"{found}); name it with `column`")
        column = numeric[0]
    times = raw[date_column]
    if times.isna().any():
        line = raw.index[int(np.argmax(times.isna().to_numpy()))]
        raise InputError(f"{name} {unit} {line}: the time cell of {date_column!r} is empty")
    time = parse_time(name, times, unit, **order)
    values = parse_numbers(name, raw[column], unit, how["decimal"])
    empty = np.isnan(values)
    if empty.all():
        raise InputError(f"{name}: the column {column!r} holds no number")
    if empty.any():
        values = pd.Series(values).ffill().bfill().to_numpy()
        warnings.warn(f"{name}: {int(empty.sum())} empty cells of {column!r} took the value "
                      "before them", stacklevel=2)
    ticks = np.asarray(time)
    backward = int((ticks[1:] <= ticks[:-1]).sum())
    if backward:
        rows = f"{backward} rows" if backward > 1 else "1 row"
        warnings.warn(f"{name}: the time repeats or steps back at {rows}; the rows are read "
                      "in file order, as they arrived", stacklevel=2)
    return Stream(name, times.astype(str).tolist(), time, values, column)


__all__ = ["Stream", "read_stream"]
