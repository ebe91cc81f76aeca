"""Reading labelled sequences from files: the UCR archive's format and long format.

Two layouts are read; ``format="auto"`` tells them apart by the first line (names after its
first field make it a header, and a header means long format).

UCR archive format: no header, one sequence per line, its class label first, then its values,
separated by tabs or commas (the archive's 2018 release) or by runs of spaces (the older .txt
release, in scientific notation). A variable-length data set pads its shorter sequences with
trailing NaN (or empty fields), so every line has as many fields; a sequence ends at its last
number. Two sequences, the second one step long::

    -1	0.502	0.542
    1	0.147	NaN

Long format: a header, then one row per step of a sequence: its id, its time (which orders
its rows; none: file order), one or more value columns (several: a multivariate sequence,
F > 1) and its label, the same on each of its rows. The same two sequences::

    id,time,value,label
    a,0,0.502,-1
    a,1,0.542,-1
    b,0,0.147,1

Labels stay text; whole-number labels are written canonically ("1", "1.0" and
"1.0000000e+00" all become "1"), so both archive releases and both layouts read alike. The
cells of long format are read and parsed by :mod:`rnnkit.io.parsing`; bundled data sets are
resolved by :func:`rnnkit.io.sources.load_sequences`. NumPy and pandas only (no torch).

Example
-------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "two.tsv"
>>> _ = path.write_text("-1\\t0.502\\t0.542\\n1\\t0.147\\tNaN\\n")
>>> data = read_labelled(path)
>>> data.ids, data.lengths.tolist(), data.labels
(('1', '2'), [2, 1], ('-1', '1'))
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_choice
from rnnkit.io.parsing import (
    MAX_MAGNITUDE,
    PARQUET_SUFFIXES,
    parse_dates,
    parse_ids,
    parse_number,
    parse_numbers,
    read_bytes,
    read_raw,
    source_name,
)
from rnnkit.io.sequences import LabelledSeries
from rnnkit.io.sniff import PathLike, as_float, decode, sniff_sep

FORMATS = ("auto", "ucr", "long")
ID_NAMES = ("id", "series", "series_id", "sample", "case")  # matched in any case
TIME_NAMES = ("time", "t", "step", "timestamp", "date")
LABEL_NAMES = ("label", "class", "target", "y")
MISSING = ("", "nan")  # cells (in lower case) that pad a shorter UCR sequence
MIN_DISTINCT = 10  # from this many sequences on, a label for each one is no class label


def read_labelled(path: PathLike | pd.DataFrame, source: str = "", *, format: str = "auto",
                  sep: str = "", id_column: str = "", time_column: str = "",
                  label_column: str = "", columns: Sequence[str] = (),
                  labelled: bool = True, classes: Sequence[str] = ()) -> LabelledSeries:
    """Read the labelled sequences of a file.

    Parameters
    ----------
    path
        A file in UCR or long format (module docstring), plain or gzipped, UTF-8 or UTF-16 with
        a BOM; a ``.parquet`` file, or a pandas frame, is long format.
    source
        How messages (and the result's ``source``) name the file; empty: its path.
    format
        "ucr", "long", or "auto": long format when the first line's fields after the first
        hold more names (neither numbers nor NaN) than numbers.
    sep
        The separator (``\\t`` for a tab; " ": runs of spaces, UCR only). Empty: a tab if the
        first line has one, else :func:`rnnkit.io.sniff.sniff_sep`'s if there, else spaces.
    id_column, time_column, label_column, columns
        Long format: the sequence's id (empty: a column named one of ID_NAMES in any case,
        else the first), its time, numbers or dates (empty: one of TIME_NAMES, else file
        order), its label (empty: one of LABEL_NAMES), the values (empty: all other non-empty).
    labelled
        False for new data to predict: long format may lack its label column (``labels``
        None, also when every label cell is empty); labels are never refused as not
        categorical.
    classes
        With ``labelled=False``, the labels a model knows: a UCR file in which some line's
        first field is none of them has no label field (every field is a value, ``labels``
        None), as a file of new sequences to classify is written.

    Returns
    -------
    LabelledSeries
        UCR: ids are the 1-based line numbers ("1", "2", ...), features ("value",).
        Long: sequences in the order their ids first appear, rows sorted by time; trailing
        rows with no value at all end a sequence (as NaN padding ends a UCR one).

    Raises
    ------
    InputError
        One line naming the file and the line, field or column: the file cannot be read or is
        empty, a cell is no finite number, a value is missing inside a sequence, ragged UCR
        rows, long format without a label column, a time twice or two labels in a sequence,
        labels that are not categorical (numbers not whole; from MIN_DISTINCT sequences on,
        a label of its own on every one).
    """
    check_choice("format", format, FORMATS)
    sep = "\t" if sep == "\\t" else sep  # a tab is hard to type on a command line
    if sep and (len(sep) != 1 or sep in "\"\r\n"):
        raise InputError(f"sep must be one character such as ',', ';', '\\t' or ' ' (runs of "
                         f"spaces), got {sep!r}")
    long = {"id_column": id_column.strip(), "time_column": time_column.strip(),
            "label_column": label_column.strip(), "columns": tuple(c.strip() for c in columns),
            "labelled": labelled}
    if isinstance(path, pd.DataFrame) or Path(path).suffix.lower() in PARQUET_SUFFIXES:
        return _read_long(path, source or source_name(path), "", **long)  # a table: long format
    path, source = str(path), source or str(path)
    text = decode(source, read_bytes(path, source))[0]
    lines = [(n, line) for n, line in enumerate(
        text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1) if line.strip()]
    if not lines:
        raise InputError(f"{source} is empty")
    first = lines[0][1]
    if not sep:  # a tab if line 1 has one, else sniff_sep's choice if there, else spaces
        sep = "\t" if "\t" in first else sniff_sep(text)
        sep = sep if sep in first else " "
    if format == "long" or (format == "auto" and _is_header(_split(first, sep))):
        if sep == " ":
            raise InputError(f"{source}: long format separates its columns by ',', ';', tab "
                             "or '|', not by spaces")
        return _read_long(path, source, sep, **long)
    return _read_ucr(source, lines, sep, long["labelled"], tuple(map(str, classes)))


def _split(line: str, sep: str) -> list[str]:
    return line.split() if sep == " " else [cell.strip() for cell in line.split(sep)]


def _is_header(fields: list[str]) -> bool:
    """A header: after the first field, more names (neither numbers nor NaN) than numbers.
    A UCR line with a bad cell stays data, so that its error names the cell."""
    kinds = ["pad" if c.lower() in MISSING else "number" if parse_number(c) is not None
             else "name" for c in fields[1:]]
    return kinds.count("name") > kinds.count("number")


def _read_ucr(source: str, lines: list[tuple[int, str]], sep: str, labelled: bool,
              classes: tuple[str, ...] = ()) -> LabelledSeries:
    """Sequences of the UCR format: a line each, label first, shorter ones padded with NaN;
    without a label field when ``classes`` are given and some first field is none of them."""
    numbers = [n for n, _ in lines]
    rows = [_split(line, sep) for _, line in lines]
    if not labelled and classes and not set(_labels(source, [r[0] for r in rows], "", [],
                                                    False)) <= set(classes):
        rows = [["", *row] for row in rows]  # no label field: every field is a value
    widths = np.array([len(row) for row in rows])
    odd = np.flatnonzero(widths != widths[0])
    if odd.size:
        k = odd[0]
        raise InputError(f"{source}: ragged rows: line {numbers[k]} has {widths[k]} fields, line "
                         f"{numbers[0]} has {widths[0]}; pad shorter sequences with trailing NaN "
                         "as the UCR archive does, or use long format")
    tags = [row[0] for row in rows]
    head = [parse_number(cell) for cell in rows[0][1:]]  # "label,0,1,2,..." heads a wide CSV
    if len(head) > 2 and parse_number(tags[0]) is None and head in (list(range(len(head))),
                                                               list(range(1, len(head) + 1))):
        raise InputError(f"{source} line {numbers[0]}: a header? {tags[0]!r} and then the "
                         "numbers of the steps; UCR files have no header: remove that line")
    cells = np.array([row[1:] for row in rows], dtype=object)  # (N, W): field j + 2 of line
    values = _ucr_values(source, cells, numbers)
    labels = _labels(source, tags, "the label field", [f"line {n}" for n in numbers], labelled)
    unlabelled = not labelled and all(tag == "" for tag in labels)
    return LabelledSeries(tuple(map(str, numbers)), values, None if unlabelled else labels,
                          ("value",), source)


def _ucr_values(source: str, cells: np.ndarray, numbers: list[int]) -> tuple[np.ndarray, ...]:
    """Each line's values (T_i, 1) up to its last number; raise at a bad or inner missing cell."""
    flat = pd.Series(cells.ravel(), dtype=object)
    parsed = pd.to_numeric(flat, errors="coerce").to_numpy(np.float64).reshape(cells.shape)
    missing = flat.str.lower().isin(MISSING).to_numpy().reshape(cells.shape)
    bad = ~missing & ~(np.abs(parsed) <= MAX_MAGNITUDE)
    if bad.any():
        r, j = np.argwhere(bad)[0]
        why = "is not a finite number" if not np.isfinite(parsed[r, j]) else (
            f"is beyond ±{MAX_MAGNITUDE:g}, whose square float64 cannot hold: rescale")
        if r == 0 and np.isnan(parsed[r, j]):
            why += "; if line 1 is a header, pass `format` long"
        raise InputError(f"{source} line {numbers[r]}, field {j + 2}: {cells[r, j]!r} {why}")
    width = cells.shape[1]
    lengths = np.max(np.where(missing, 0, np.arange(1, width + 1)), axis=1, initial=0)
    if (lengths == 0).any():
        raise InputError(f"{source} line {numbers[int(np.argmin(lengths))]}: a label and no "
                         "values")
    inner = missing & (np.arange(width) < lengths[:, None])
    if inner.any():
        r, j = np.argwhere(inner)[0]
        raise InputError(f"{source} line {numbers[r]}, field {j + 2}: a missing value (NaN or "
                         "empty) inside the sequence; only trailing NaN may end a shorter one")
    return tuple(parsed[r, :n, None] for r, n in enumerate(lengths))  # (T_i, 1)


def _labels(source: str, cells: Sequence[str], where: str, places: Sequence[str],
            labelled: bool) -> tuple[str, ...]:
    """The labels as text, whole numbers canonical ("1.0" -> "1"); with ``labelled``,
    refused unless they are class labels. ``places`` says where each is (line or sequence)."""
    numbers = [parse_number(c) for c in cells]
    text = tuple(str(int(x)) if x is not None and x.is_integer() else c
                 for c, x in zip(cells, numbers, strict=True))
    if not labelled:
        return text
    if "" in text:
        raise InputError(f"{source}: {places[text.index('')]} has an empty label")
    if all(x is not None for x in numbers):
        k = next((k for k, x in enumerate(numbers) if not x.is_integer()), None)
        if k is not None:
            raise InputError(f"{source}: {where} is not categorical: {places[k]} holds "
                             f"{cells[k]!r}, not a whole number; a classifier needs class labels")
    if len(text) >= MIN_DISTINCT and len(set(text)) == len(text):
        raise InputError(f"{source}: {where} is not categorical: each of its {len(text)} "
                         "sequences has a label of its own; a classifier needs class labels")
    return text


def _read_long(path: PathLike | pd.DataFrame, source: str, sep: str, *, id_column: str,
               time_column: str, label_column: str, columns: tuple[str, ...],
               labelled: bool) -> LabelledSeries:
    """Sequences of a long-format table: a row per step, grouped by id, sorted by time."""
    raw, unit, how = read_raw(path, sep or None, None)  # text; index: file lines
    path = source_name(path)
    ident, time, label = _roles(source, list(raw.columns), id_column, time_column,
                                label_column, labelled)
    roles = {c: role for c, role in ((ident, "id"), (time, "time"), (label, "label")) if c}
    for name in columns:
        _column(source, list(raw.columns), name, (), "`columns`")
        if name in roles:
            raise InputError(f"{source}: {name!r} is the {roles[name]} column, not a value "
                             "column; leave it out of `columns`")
    names = list(columns) or [c for c in raw.columns  # an empty column: trailing separators
                              if c not in roles and raw[c].notna().any()]
    if not names:
        raise InputError(f"{source}: no value column besides {', '.join(map(repr, roles))}")
    ids = parse_ids(raw[ident]).to_numpy(dtype=object)
    if (ids == "").any():
        raise InputError(f"{source} {unit} {raw.index[np.argmax(ids == '')]}: the id "
                         f"column {ident!r} is empty")
    hint = "" if columns else "; name the value columns with `columns`"
    values = np.column_stack([_values(path, raw[c], unit, how["decimal"], hint) for c in names])
    codes = pd.factorize(ids)[0]  # sequences in the order they first appear
    order = _time_order(path, raw, time, unit)
    rows = np.lexsort((order, codes))  # by sequence, then time (stable: file order in ties)
    ids, codes, order, values = ids[rows], codes[rows], order[rows], values[rows]
    lines = np.array([f"{unit} {n}" for n in raw.index], dtype=object)[rows]  # for messages
    tags = None if label is None else parse_ids(raw[label]).to_numpy(dtype=object)[rows]
    _check_rows(source, ids, codes, order, tags, lines, time, label)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sequences = [_trimmed(source, block, ids[s], names, lines[s:])
                 for s, block in zip(starts, np.split(values, starts[1:]), strict=True)]
    kept = tuple(str(ids[s]) for s in starts)
    labels = None
    if tags is not None and (labelled or (tags != "").any()):
        labels = _labels(source, list(tags[starts]), f"the label column {label!r}",
                         [f"sequence {k!r}" for k in kept], labelled)
    return LabelledSeries(kept, tuple(sequences), labels, tuple(names), source)


def _roles(source: str, columns: list[str], id_column: str, time_column: str,
           label_column: str, labelled: bool) -> tuple[str, str | None, str | None]:
    """The id, time and label columns: as given, else found by name (id: else the first)."""
    time = _column(source, columns, time_column, TIME_NAMES, "`time_column`")
    label = _column(source, columns, label_column, LABEL_NAMES, "`label_column`")
    ident = _column(source, columns, id_column, ID_NAMES, "`id_column`")
    if ident is None and columns[0] in (time, label):
        raise InputError(f"{source}: no id column (none is named {', '.join(ID_NAMES)}), and "
                         f"the first, {columns[0]!r}, is no id; name it with `id_column`")
    ident = ident or columns[0]
    if label is None and labelled:
        raise InputError(f"{source}: no label column (none is named {', '.join(LABEL_NAMES)}); "
                         f"name it with `label_column`; the columns are "
                         f"{', '.join(map(repr, columns))}")
    taken = [name for name in (ident, time, label) if name is not None]
    if len(set(taken)) < len(taken):
        raise InputError(f"{source}: column {max(taken, key=taken.count)!r} cannot be two of "
                         "`id_column`, `time_column` and `label_column`")
    return ident, time, label


def _column(source: str, columns: list[str], given: str, names: tuple[str, ...],
            parameter: str) -> str | None:
    """``given`` if it is a column, else the first column named one of ``names`` (any case)."""
    if given:
        if given not in columns:
            raise InputError(f"{source}: no column {given!r} ({parameter}); the columns are "
                             f"{', '.join(map(repr, columns))}")
        return given
    lower = {c.lower(): c for c in reversed(columns)}  # the first of two spellings wins
    return next((lower[n] for n in names if n in lower), None)


def _values(path: str, cells: pd.Series, unit: str, decimal: str, hint: str) -> np.ndarray:
    """A value column as float64, NaN where empty or NaN; parse_numbers refuses the rest."""
    if pd.api.types.is_string_dtype(cells):
        cells = cells.mask(cells.str.lower() == "nan")
    try:
        return parse_numbers(path, cells, unit, decimal)
    except InputError as err:
        raise InputError(f"{err}{hint}") from None


def _time_order(path: str, raw: pd.DataFrame, time: str | None, unit: str) -> np.ndarray:
    """Each row's place in time: the time column's numbers or dates, else its place in the file."""
    if time is None:
        return np.arange(len(raw), dtype=np.float64)
    cells = raw[time]
    numbers = as_float(cells)
    bad = ~np.isfinite(numbers)
    if not bad.all():  # numbers: steps, seconds, ...
        if bad.any():
            k = int(bad.argmax())
            cell = "empty" if pd.isna(cells.iloc[k]) else repr(cells.iloc[k])
            raise InputError(f"{path} {unit} {raw.index[k]}: {time!r} is {cell}, not a number "
                             "as the other times are")
        return numbers
    return pd.DatetimeIndex(parse_dates(path, cells, unit)).asi8  # int64: ns stay apart


def _check_rows(source: str, ids: np.ndarray, codes: np.ndarray, order: np.ndarray,
                tags: np.ndarray | None, lines: np.ndarray, time: str | None,
                label: str | None) -> None:
    """Rows sorted by sequence, then time, then file order: no time twice, one label each."""
    same = codes[1:] == codes[:-1]
    twice = np.flatnonzero(same & (order[1:] == order[:-1])) if time is not None else []
    if len(twice):
        k = twice[0]
        raise InputError(f"{source}: sequence {ids[k]!r} has two rows at one {time!r} "
                         f"({lines[k]} and {lines[k + 1]})")
    changed = np.flatnonzero(same & (tags[1:] != tags[:-1])) if tags is not None else []
    if len(changed):
        k = changed[0]
        raise InputError(f"{source}: sequence {ids[k]!r} has two labels in {label!r}: "
                         f"{tags[k]!r} ({lines[k]}) and {tags[k + 1]!r} ({lines[k + 1]})")


def _trimmed(source: str, block: np.ndarray, key: str, names: list[str],
             lines: np.ndarray) -> np.ndarray:
    """A sequence's rows (T, F) less its trailing rows without any value; others must be full."""
    present = ~np.isnan(block).all(axis=1)
    if not present.any():
        raise InputError(f"{source}: sequence {key!r} has no values")
    block = block[: len(present) - int(np.argmax(present[::-1]))]
    gaps = np.argwhere(np.isnan(block))
    if len(gaps):
        t, j = gaps[0]
        raise InputError(f"{source}: sequence {key!r} has a missing value in column "
                         f"{names[j]!r} ({lines[t]}) before its last step")
    return block
