"""Labelled sequences for classification: reading them, checking them, splitting them by class.

Two layouts are read (``format="auto"`` tells them apart by the first line: a header of
names is long format):

UCR archive format: no header, one sequence per line, the class label first, then its values;
tab-, comma- or space-separated (the archive's 2018 release uses tabs, the older one runs of
spaces and scientific notation). Shorter sequences of a variable-length set end in NaN (or
empty fields), as the archive pads them; every line has the same number of fields::

    -1	0.502	0.542	0.722
    1	0.147	0.805	NaN

Long format: a header, then one row per step of a sequence: its id, its time or step (which
orders the rows), one or more value columns (several = a multivariate sequence) and the label::

    id,time,value,label
    a,0,0.502,-1
    a,1,0.542,-1
    b,0,0.147,1

Labels stay text; numeric labels are written canonically ("1.0", "1" and "1.0000000e+00" all
become "1"), so the two releases of a UCR data set read alike. This module is NumPy and pandas
only (no torch).
"""

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_in_range
from rnnkit.sniff import decode, sniff_sep

BUNDLED = {"ecg200": ("ECG200_TRAIN.tsv", "ECG200_TEST.tsv")}  # in rnnkit/datasets
FORMATS = ("auto", "ucr", "long")
ID_NAMES = ("id", "series", "series_id", "sample", "case")
TIME_NAMES = ("time", "t", "step", "timestamp", "date")
LABEL_NAMES = ("label", "class", "target", "y")
MISSING = {"", "nan", "NaN", "NA", "?"}  # cells that are padding / missing values
MAX_SHOWN = 40  # characters of a bad cell shown in a message


@dataclass(frozen=True)
class LabelledSeries:
    """N sequences, each (T_i, F) float64 and finite, with their ids and class labels."""

    ids: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    labels: tuple[str, ...] | None
    features: tuple[str, ...]
    source: str

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(v) for v in self.values], dtype=np.int64)

    @property
    def num_features(self) -> int:
        return len(self.features)

    @property
    def classes(self) -> tuple[str, ...]:
        """The distinct labels, sorted as numbers when they all are, else as text."""
        found = set(self.labels or ())
        numeric = all(_number(label) is not None for label in found)
        return tuple(sorted(found, key=(lambda s: float(s)) if numeric else None))

    def padded(self, fill: float = np.nan) -> np.ndarray:
        """(N, T_max, F): each sequence from the start of its row, ``fill`` after its end."""
        out = np.full((len(self.values), int(self.lengths.max()), self.num_features), fill)
        for row, value in zip(out, self.values, strict=True):
            row[: len(value)] = value
        return out

    def subset(self, rows) -> "LabelledSeries":
        """The sequences at ``rows``, in that order."""
        rows = [int(r) for r in rows]
        return LabelledSeries(tuple(self.ids[r] for r in rows),
                              tuple(self.values[r] for r in rows),
                              None if self.labels is None else tuple(self.labels[r] for r in rows),
                              self.features, self.source)


def read_labelled(name: str, part: str = "train", *, format: str = "auto", sep: str = "",
                  id_column: str = "", time_column: str = "", label_column: str = "",
                  columns: tuple[str, ...] = (), labelled: bool = True) -> LabelledSeries:
    """Read the sequences of a file (or of a bundled data set: ``part`` "train" or "test").

    ``labelled=False`` lets a long-format file lack its label column (then ``labels`` is None).
    """
    if format not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {format!r}")
    if name in BUNDLED:
        if part not in ("train", "test"):
            raise InputError(f"part must be 'train' or 'test', got {part!r}")
        filename = BUNDLED[name][part == "test"]
        text = (resources.files("rnnkit.datasets") / filename).read_text("utf-8")
        source = f"{name} ({part}, bundled)"
    else:
        path = Path(name)
        if path.is_dir():
            raise InputError(f"{name} is a folder, not a file of sequences")
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"cannot read {name}: {err.strerror}") from None
        text, source = decode(name, data)[0], name
    if not text.strip():
        raise InputError(f"{source} is empty")
    sep = sep or _sniff(text)
    lines = [line for line in text.splitlines() if line.strip()]
    long = format == "long" or (format == "auto" and _has_header(lines[0], sep))
    if long:
        return _read_long(source, text, sep, id_column, time_column, label_column,
                          tuple(columns), labelled)
    return _read_ucr(source, lines, sep)


def _sniff(text: str) -> str:
    first = next(line for line in text.splitlines() if line.strip())
    if "\t" in first:
        return "\t"
    if "," in first:
        return sniff_sep(text)
    return " "  # the archive's older release: runs of spaces


def _split(line: str, sep: str) -> list[str]:
    if sep == " ":
        return line.split()
    return [cell.strip() for cell in next(csv.reader([line], delimiter=sep))]


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _has_header(line: str, sep: str) -> bool:
    """True when most fields after the first are names, not numbers (nor padding): a header."""
    rest = _split(line, sep)[1:]
    names = sum(cell not in MISSING and _number(cell) is None for cell in rest)
    return 2 * names > len(rest)


def _read_ucr(source: str, lines: list[str], sep: str) -> LabelledSeries:
    rows = [_split(line, sep) for line in lines]
    width = len(rows[0])
    for k, row in enumerate(rows):
        if len(row) != width:
            raise InputError(f"{source}: ragged rows: line {k + 1} has {len(row)} fields, line 1 "
                             f"has {width}; pad shorter sequences with trailing NaN as the UCR "
                             "archive does, or use long format")
    if width < 2:
        raise InputError(f"{source}: line 1 has a label and no values")
    values = []
    for k, row in enumerate(rows):
        cells = row[1:]
        numbers = np.array([np.nan if c in MISSING else _cell(source, c, k, j)
                            for j, c in enumerate(cells)])
        finite = np.flatnonzero(~np.isnan(numbers))
        if len(finite) == 0:
            raise InputError(f"{source}: line {k + 1} has a label and no values")
        if len(finite) != finite[-1] + 1:
            gap = int(np.flatnonzero(np.isnan(numbers[: finite[-1]]))[0])
            raise InputError(f"{source}: line {k + 1}, field {gap + 2} is missing inside the "
                             "sequence (only trailing NaN may end a shorter one)")
        values.append(numbers[: finite[-1] + 1, None])
    labels = _labels(source, [row[0] for row in rows], "the first field")
    return LabelledSeries(tuple(str(k + 1) for k in range(len(rows))), tuple(values), labels,
                          ("value",), source)


def _cell(source: str, cell: str, line: int, field: int) -> float:
    number = _number(cell)
    if number is None or np.isinf(number):
        raise InputError(f"{source}: line {line + 1}, field {field + 2}: {cell[:MAX_SHOWN]!r} is "
                         "not a number")
    return number


def _labels(source: str, cells, where: str) -> tuple[str, ...]:
    """The labels as text, numbers written canonically; refused when they are not categories."""
    cells = [str(c).strip() for c in cells]
    numbers = [_number(c) for c in cells]
    if all(n is not None for n in numbers):
        if any(not np.isfinite(n) or n != round(n) for n in numbers):
            bad = next(c for c, n in zip(cells, numbers, strict=True)
                       if not np.isfinite(n) or n != round(n))
            raise InputError(f"{source}: the labels ({where}) are not categorical: {bad!r} is "
                             "not a whole number; a classifier needs class labels")
        cells = [str(int(n)) for n in numbers]
    elif any(c == "" for c in cells):
        raise InputError(f"{source}: a label ({where}) is empty")
    if len(cells) >= 10 and len(set(cells)) == len(cells):
        raise InputError(f"{source}: the labels ({where}) are not categorical: every one of the "
                         f"{len(cells)} sequences has its own; a classifier needs class labels")
    return tuple(cells)


def _column(source: str, frame: pd.DataFrame, given: str, names: tuple[str, ...], flag: str,
            fallback: str | None = None) -> str | None:
    """The column ``given`` names, else the first named one of ``names``, else ``fallback``."""
    if given:
        if given not in frame.columns:
            raise InputError(f"{source}: no column {given!r} ({flag}); the columns are "
                             f"{', '.join(map(str, frame.columns))}")
        return given
    lower = {str(c).lower(): c for c in frame.columns}
    return next((lower[n] for n in names if n in lower), fallback)


def _read_long(source: str, text: str, sep: str, id_column: str, time_column: str,
               label_column: str, columns: tuple[str, ...], labelled: bool) -> LabelledSeries:
    if sep == " ":
        sep = r"\s+"
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            engine="python" if len(sep) > 1 else "c")
    except (pd.errors.ParserError, csv.Error) as err:
        raise InputError(f"{source}: cannot read it as a table: "
                         f"{str(err).splitlines()[0]}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    ids = _column(source, frame, id_column, ID_NAMES, "--id-column", frame.columns[0])
    time = _column(source, frame, time_column, TIME_NAMES, "--time-column")
    label = _column(source, frame, label_column, LABEL_NAMES, "--label-column")
    if label is None and labelled:
        raise InputError(f"{source}: no label column (none named {', '.join(LABEL_NAMES)}); "
                         f"name it with --label-column; the columns are "
                         f"{', '.join(frame.columns)}")
    used = {ids, time, label} - {None}
    for name in columns:
        _column(source, frame, name, (), "--columns")
    values = list(columns) or [c for c in frame.columns if c not in used]
    if not values:
        raise InputError(f"{source}: no value column besides {', '.join(sorted(used))}")
    numbers = {}
    for name in values:
        cells = frame[name].str.strip()
        parsed = pd.to_numeric(cells.where(~cells.isin(MISSING)), errors="coerce")
        bad = parsed.isna() & ~cells.isin(MISSING) | np.isinf(parsed)
        if bad.any():
            raise InputError(f"{source}: column {name!r} is not numeric: row {bad.idxmax() + 2} "
                             f"holds {cells[bad].iloc[0][:MAX_SHOWN]!r}")
        numbers[name] = parsed.to_numpy(np.float64)
    order = _time_order(source, frame, time)
    sequences, kept_labels, kept_ids = [], [], []
    for key, rows in frame.groupby(ids, sort=False).indices.items():
        rows = rows[np.argsort(order[rows], kind="stable")]
        if time is not None and len(np.unique(order[rows])) < len(rows):
            raise InputError(f"{source}: sequence {key!r} has two rows at one {time!r}")
        block = np.column_stack([numbers[name][rows] for name in values])
        if np.isnan(block).any():
            where = values[int(np.flatnonzero(np.isnan(block).any(axis=0))[0])]
            raise InputError(f"{source}: sequence {key!r} has a missing value in column "
                             f"{where!r}")
        if label is not None:
            found = frame[label].iloc[rows].str.strip().unique()
            if len(found) > 1:
                raise InputError(f"{source}: sequence {key!r} has two labels: {found[0]!r} and "
                                 f"{found[1]!r}")
            kept_labels.append(found[0])
        sequences.append(block)
        kept_ids.append(str(key))
    labels = None if label is None else _labels(source, kept_labels, f"column {label!r}")
    return LabelledSeries(tuple(kept_ids), tuple(sequences), labels, tuple(values), source)


def _time_order(source: str, frame: pd.DataFrame, time: str | None) -> np.ndarray:
    """Each row's place in time: the time column as numbers or dates, else file order."""
    if time is None:
        return np.arange(len(frame), dtype=np.float64)
    cells = frame[time].str.strip()
    numbers = pd.to_numeric(cells, errors="coerce")
    if not numbers.isna().any():
        return numbers.to_numpy(np.float64)
    dates = pd.to_datetime(cells, errors="coerce", utc=True)
    if dates.isna().any():
        bad = cells[dates.isna()].iloc[0]
        raise InputError(f"{source}: column {time!r} holds {bad[:MAX_SHOWN]!r}, neither a number "
                         "nor a date")
    return (dates - dates.min()).dt.total_seconds().to_numpy(np.float64)


def check_classes(data: LabelledSeries) -> tuple[str, ...]:
    """The classes of ``data``; fewer than two is an InputError."""
    if data.labels is None:
        raise InputError(f"{data.source} has no labels")
    classes = data.classes
    if len(classes) < 2:
        raise InputError(f"{data.source}: a single class ({classes[0]!r}) in all "
                         f"{len(data.ids)} sequences; a classifier needs at least two")
    return classes


def check_test_labels(train: LabelledSeries, test: LabelledSeries) -> None:
    """Every test label must be a class of the training sequences."""
    known = set(train.labels)
    unseen = [label for label in (test.labels or ()) if label not in known]
    if unseen:
        raise InputError(f"{test.source}: label {unseen[0]!r} ({unseen.count(unseen[0])} test "
                         f"sequences) was never seen in training ({train.source} has "
                         f"{', '.join(train.classes)})")


def check_min_length(data: LabelledSeries, minimum: int, why: str) -> None:
    """Every sequence must have at least ``minimum`` steps; ``why`` says what needs them."""
    lengths = data.lengths
    if lengths.min() < minimum:
        k = int(lengths.argmin())
        raise InputError(f"{data.source}: sequence {data.ids[k]} has {lengths[k]} step"
                         f"{'s' if lengths[k] != 1 else ''}, shorter than {minimum}: {why}")


def stratified_split(labels, val_fraction: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, tuple]:
    """(kept, held, rare): per class c of n_c members, ⌊n_c · val_fraction + ½⌋ are held out,
    drawn by ``np.random.default_rng(seed)``; at least one stays. A class of one member, or
    whose share rounds to 0, stays wholly in ``kept`` and is listed in ``rare``.

    >>> kept, held, rare = stratified_split(["a"] * 8 + ["b"] * 2 + ["c"], 0.25)
    >>> len(kept), len(held), rare       # a: 2 of 8 held, b: 1 of 2, c: one member
    (8, 3, ('c',))
    """
    check_in_range("val_fraction", val_fraction, 0.0, 1.0, low_open=True, high_open=True)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held, rare = [], []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        take = min(int(len(members) * val_fraction + 0.5), len(members) - 1)
        if take < 1:
            rare.append(label.item() if hasattr(label, "item") else label)
            continue
        held.append(rng.choice(members, take, replace=False))
    held = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    kept = np.setdiff1d(np.arange(len(labels)), held)
    return kept.astype(np.int64), held.astype(np.int64), tuple(rare)


__all__ = ["BUNDLED", "LabelledSeries", "check_classes", "check_min_length",
           "check_test_labels", "read_labelled", "stratified_split"]
