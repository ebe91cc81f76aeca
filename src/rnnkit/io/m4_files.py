"""The M4 competition's data files: reading its wide CSV format, and the bundled Hourly subset.

M4 (Makridakis, Spiliotis & Assimakopoulos 2020, "The M4 Competition: 100,000 time series and
61 forecasting methods", IJF 36) ships each frequency as two wide CSV files: a header
``V1, V2, ...``, then one row per series, its id (``H1``, ``D25``, ...) and its values
left-aligned, shorter series padded with empty cells; the test file holds the next H values of
every series. :func:`read_m4` reads them, :func:`load_m4_hourly` the bundled Hourly subset,
:func:`m4_panel` turns them into the panel of frames a forecaster learns from. The
competition's measures are :mod:`rnnkit.forecast.m4`'s. NumPy and pandas only (no torch).
"""

import csv
import gzip
import itertools
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.io.datasets import bundled
from rnnkit.io.parsing import MAX_MAGNITUDE
from rnnkit.io.sniff import PathLike

# the seasonal periods the competition used for MASE and Naive2, by the id's first letter
_SEASONS = {"H": 24, "M": 12, "Q": 4, "W": 1, "D": 1, "Y": 1}
_ID = re.compile(f"[{''.join(_SEASONS)}][0-9]+")
_READ_ERRORS = (OSError, EOFError, UnicodeDecodeError, zlib.error, csv.Error)


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
    figures are in ``rnnkit/datasets/SOURCES.md``; the registry entry is
    ``rnnkit.io.datasets.bundled("m4-hourly")``.

    Example
    -------
    >>> data = load_m4_hourly()
    >>> len(data.ids), data.ids[0], len(data.train[0]), data.horizon, data.seasons[0]
    (414, 'H1', 700, 48, 24)
    """
    files = bundled("m4-hourly")
    with files.path("train") as train, files.path("test") as test:
        return read_m4(train, test)


def m4_panel(data: M4Data, source: str) -> tuple[dict[str, pd.DataFrame], int]:
    """M4 series as a panel: {id: frame}, each frame the column "value" on an integer step
    index, the series' test values (when there are) after its training values; and the season
    of the competition for the series' frequency (``source`` names the file in messages).

    Raises
    ------
    InputError
        The file mixes M4 frequencies, or a value is beyond ±MAX_MAGNITUDE.
    """
    seasons = {m4_season(key) for key in data.ids}
    if len(seasons) > 1:
        raise InputError(f"{source} mixes M4 frequencies (seasons {sorted(seasons)}); one file "
                         "holds one frequency")
    panel = {}
    for k, key in enumerate(data.ids):
        values = data.train[k] if data.test is None else np.concatenate([data.train[k],
                                                                          data.test[k]])
        if np.abs(values).max(initial=0.0) > MAX_MAGNITUDE:  # as read_series refuses them
            raise InputError(f"{source}: series {key} has a value of {np.abs(values).max():g}, "
                             f"beyond ±{MAX_MAGNITUDE:g}, whose square float64 cannot hold: "
                             "rescale it")
        panel[key] = pd.DataFrame({"value": values},
                                  index=pd.RangeIndex(len(values), name="step"))
    return panel, seasons.pop()


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
