"""Files in and out: series, corpora, output folders, model folders, atomic writes.

:func:`read_series` turns a price file into a clean float64 frame indexed by date and reports
what it cleaned; :func:`load_table` and :func:`read_corpus` give the jobs their data (the bundled
files or the user's). Every writer goes through a temporary file in the same directory and
``os.replace``, so a crash or a serialisation error never leaves half a file.
:func:`save_model` / :func:`load_model` are the one model-folder format of every rnnkit model and
training checkpoint. torch is imported only inside the safetensors functions, so this module
loads without it.
"""

import json
import os
import warnings
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnkit import __version__
from rnnkit._checks import InputError

if TYPE_CHECKING:
    from torch import Tensor

PathLike = str | os.PathLike[str]
DATE_NAMES = ("date", "datetime", "timestamp", "time")
PARQUET_SUFFIXES = (".parquet", ".pq")
AAPL_PROVENANCE = (
    "Aky9821/Apple-Stock-Prediction-LSTM AAPL.csv @ 5f7cd73cdb74205ffbb45be65b10b53f2c56d51e: "
    "Yahoo Finance daily OHLCV, split-adjusted (not dividend-adjusted) Close"
)


@dataclass(frozen=True)
class CleaningReport:
    """What :func:`read_series` changed on the way in.

    Parameters
    ----------
    rows_read
        Data rows in the file (blank lines not counted).
    duplicates_dropped
        Rows dropped because a later row has the same date.
    filled
        Per column, the empty cells filled with the last value before them.
    leading_dropped
        Rows dropped at the start because some column had no earlier value to fill from.
    """

    rows_read: int
    duplicates_dropped: int
    filled: dict[str, int]
    leading_dropped: int

    def to_dict(self) -> dict:
        """The report as a JSON-ready dict (a copy)."""
        return asdict(self)


def read_series(
    path: PathLike, date_column: str | None = None, columns: list[str] | None = None
) -> tuple[pd.DataFrame, CleaningReport]:
    """Read a time series file into a float64 frame indexed by date, sorted and gap-filled.

    Parameters
    ----------
    path
        A CSV file, or Parquet if the name ends in ``.parquet`` / ``.pq`` (needs pyarrow).
    date_column
        The column holding the dates. Default: the first column named date, datetime,
        timestamp or time (any case), else the first non-numeric column whose values all
        parse as dates.
    columns
        The value columns to keep, in this order. Default: every other numeric column (a column
        is numeric when its first non-empty cell is a number).

    Returns
    -------
    frame, report
        ``frame`` has a DatetimeIndex named "date" in ascending order and float64 columns;
        ``report`` is the :class:`CleaningReport`.

    Notes
    -----
    Cleaning, in order: sort by date (stable); for each duplicated date keep the last row and
    warn with the count; fill empty cells with the last earlier value of their column; drop
    the leading rows that still have an empty cell. A cell is empty or a finite number;
    anything else is an error, never silently turned into a missing value.

    Raises
    ------
    InputError
        The file is missing, empty or has no data rows; no date column is found; a column is
        unknown (the message lists those available); a date does not parse; a value is not a
        number (``prices.csv line 17: 'Close' is 'n/a'``, the header being line 1); or no row
        is left. ``columns=[]`` is an error too.
    """
    if columns is not None and not columns:
        raise InputError("columns must name at least one column, got []; None keeps all numeric")
    raw, unit = _read_raw(path)
    if date_column is None:
        date_column = _find_date_column(path, raw)
    names = [date_column, *(columns or [])]
    for name in names:
        _check_column(path, raw, name)
    if columns is None:
        columns = [c for c in raw.columns if c != date_column and _is_numeric(raw[c])]
        if not columns:
            raise InputError(f"{path} has no numeric column besides the dates in {date_column!r}")
    dates = _parse_dates(path, raw[date_column], unit)
    values = {c: _parse_numbers(path, raw[c], unit) for c in columns}
    frame = pd.DataFrame(values, index=pd.DatetimeIndex(dates, name="date"))
    return _clean(path, frame)


def _read_raw(path: PathLike) -> tuple[pd.DataFrame, str]:
    """The file's cells as strings (CSV) or values (Parquet), missing as NaN, non-blank rows.

    The index holds each row's place in the file: its line for CSV (header = line 1), its
    1-based row for Parquet; the returned word ("line" / "row") says which.
    """
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        try:
            raw = pd.read_parquet(path)
        except ImportError as e:
            raise InputError(f"reading the Parquet file {path} needs pyarrow "
                             "(pip install pyarrow); or save it as CSV") from e
        if isinstance(raw.index, pd.DatetimeIndex):  # a frame saved with its date index
            raw = raw.reset_index()
        raw.index, unit = np.arange(1, len(raw) + 1), "row"
    else:
        try:  # every cell as text, so that 'n/a' reaches us instead of becoming NaN
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise InputError(f"{path} is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as e:
            raise InputError(f"{path} is not a readable CSV file: {e}") from e
        raw = raw.apply(lambda cells: cells.str.strip()).replace("", np.nan)
        raw.index, unit = np.arange(2, len(raw) + 2), "line"  # blank lines kept for this count
    raw = raw.dropna(how="all")
    if raw.empty:
        raise InputError(f"{path} has no data rows")
    return raw, unit


def _check_column(path: PathLike, raw: pd.DataFrame, name: str) -> None:
    if name not in raw.columns:
        available = ", ".join(repr(c) for c in raw.columns)
        raise InputError(f"{path} has no column {name!r}; available: {available}")


def _find_date_column(path: PathLike, raw: pd.DataFrame) -> str:
    """The first column named like a date, else the first text column that parses as dates."""
    for name in raw.columns:
        if str(name).lower() in DATE_NAMES:
            return name
    for name in raw.columns:
        cells = raw[name]
        if _is_numeric(cells) or cells.isna().any():
            continue
        with warnings.catch_warnings():  # pandas warns when a text column has no date format
            warnings.simplefilter("ignore", UserWarning)
            if pd.to_datetime(cells, errors="coerce").notna().all():
                return name
    names = ", ".join(DATE_NAMES)
    raise InputError(f"{path} has no date column: none is named {names}, and none parses as "
                     "dates in every row; pass date_column")


def _is_numeric(cells: pd.Series) -> bool:
    """True for numeric dtypes (not bool) and text columns whose first cell is a number."""
    if pd.api.types.is_numeric_dtype(cells.dtype):
        return not pd.api.types.is_bool_dtype(cells.dtype)
    if not pd.api.types.is_string_dtype(cells.dtype):  # datetimes, categories
        return False
    present = cells.dropna()
    return len(present) > 0 and bool(np.isfinite(_as_float(present.iloc[:1]))[0])


def _as_float(cells: pd.Series) -> np.ndarray:
    """Cells as float64, NaN where a cell is empty or not a number."""
    return pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _parse_numbers(path: PathLike, cells: pd.Series, unit: str) -> np.ndarray:
    """The column as float64 (NaN where empty); raise at the first cell that is not a number."""
    values = _as_float(cells)
    bad = cells.notna().to_numpy() & ~np.isfinite(values)
    if bad.any():
        k = int(bad.argmax())
        raise InputError(f"{path} {unit} {cells.index[k]}: {cells.name!r} is {cells.iloc[k]!r}")
    return values


def _parse_dates(path: PathLike, cells: pd.Series, unit: str) -> pd.Series:
    """The column as datetimes; raise at the first cell that is empty or not a date."""
    dates = pd.to_datetime(cells, errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.any():
        k = int(bad.argmax())
        cell = cells.iloc[k]
        what = "empty" if pd.isna(cell) else f"{cell!r}, not a date"
        raise InputError(f"{path} {unit} {cells.index[k]}: {cells.name!r} is {what}")
    return dates


def _clean(path: PathLike, frame: pd.DataFrame) -> tuple[pd.DataFrame, CleaningReport]:
    """Sort by date, drop duplicate dates (keep the last), forward-fill, drop unfillable rows."""
    rows_read = len(frame)
    frame = frame.sort_index(kind="stable")  # stable: the last row of a date stays the last
    duplicated = frame.index.duplicated(keep="last")
    if duplicated.any():
        warnings.warn(f"{path}: dropped {duplicated.sum()} rows whose date appears again later "
                      "(kept the last row of each date)", stacklevel=3)
        frame = frame[~duplicated]
    missing = frame.isna()
    frame = frame.ffill()
    unfilled = frame.isna().any(axis=1).to_numpy()  # only leading rows: nothing before them
    if unfilled.all():
        raise InputError(f"{path}: no row has a value in every column of {list(frame.columns)}")
    leading = int(unfilled.argmin())
    report = CleaningReport(
        rows_read=rows_read,
        duplicates_dropped=int(duplicated.sum()),
        filled={c: int(missing[c].iloc[leading:].sum()) for c in frame.columns},
        leading_dropped=leading,
    )
    return frame.iloc[leading:], report


def load_aapl() -> pd.DataFrame:
    """Apple's daily prices 2015-01-02 .. 2020-12-30 (1510 sessions), shipped with rnnkit.

    Columns Open, High, Low, Close, Adj Close, Volume (float64); Open/High/Low/Close are
    split-adjusted, not dividend-adjusted. Provenance: :data:`AAPL_PROVENANCE` and
    ``rnnkit/datasets/SOURCES.md``.

    Example
    -------
    >>> prices = load_aapl()
    >>> len(prices), float(prices["Close"].iloc[-1])
    (1510, 133.720001)
    """
    with resources.as_file(resources.files("rnnkit.datasets") / "aapl.csv") as path:
        frame, _ = read_series(path, date_column="Date")
    return frame


def load_table(name: str, date_column: str = "", columns: list[str] | None = None,
               ) -> tuple[pd.DataFrame, dict]:
    """The bundled AAPL prices (``name="aapl"``) or a user's file, cleaned, and its record.

    Returns the frame (the ``columns`` asked for, in order) and a JSON-ready description of
    where it came from: ``{"source", "provenance"}`` for the bundled file, ``{"source",
    "cleaning"}`` (the :class:`CleaningReport`) for a file.
    """
    if name == "aapl":
        frame = load_aapl()
        missing = [c for c in columns or [] if c not in frame.columns]
        if missing:
            raise InputError(f"--data aapl: no column {missing[0]!r}; columns: "
                             f"{list(frame.columns)}")
        return frame[columns or list(frame.columns)], {"source": "aapl",
                                                        "provenance": AAPL_PROVENANCE}
    frame, report = read_series(name, date_column or None, columns)
    return frame, {"source": name, "cleaning": report.to_dict()}


def read_corpus(name: str) -> str:
    """The bundled Tiny Shakespeare (``name="shakespeare"``) or a UTF-8 text file.

    Raises
    ------
    InputError
        The file cannot be read, has NUL bytes (binary), is not UTF-8, or is empty.
    """
    if name == "shakespeare":
        return (resources.files("rnnkit.datasets") / "tinyshakespeare.txt").read_text("utf-8")
    try:
        data = Path(name).read_bytes()
    except OSError as err:
        raise InputError(f"--corpus: cannot read {name}: {err.strerror}") from None
    if b"\x00" in data:
        raise InputError(f"--corpus: {name} looks binary (it has NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"--corpus: {name} is not UTF-8 text (byte {err.start})") from None
    if not text:
        raise InputError(f"--corpus: {name} is empty")
    return text


def prepare_out(path: PathLike) -> Path:
    """Create the output folder now, so that an unwritable one fails before any work."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".rnnkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise InputError(f"--out: cannot write to {out}: {err.strerror}") from None
    return out


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path + ".tmp"`` beside ``path``, sync it, then rename it over ``path``.

    ``os.replace`` is atomic on POSIX and Windows, so ``path`` is either the old file or the new
    one; the temporary file is removed if anything fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, creating parent directories."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: PathLike, obj: object) -> None:
    """Write ``obj`` as JSON (indent 2, keys in their order) to ``path`` atomically.

    ``obj`` is serialised before anything is written, so a ``TypeError`` for an object JSON
    cannot hold leaves the previous file untouched.
    """
    write_text_atomic(path, json.dumps(obj, indent=2) + "\n")


def save_safetensors_atomic(path: PathLike, tensors: dict[str, "Tensor"], metadata: dict) -> None:
    """Save ``tensors`` and ``metadata`` to one .safetensors file, atomically.

    ``metadata`` is stored as one JSON string under the header's metadata key "rnnkit"
    (safetensors metadata holds only strings). Tensors that share memory (tied weights) are
    written as separate copies, which ``load_state_dict`` ties again on loading.
    """
    from safetensors.torch import save

    header = {"rnnkit": json.dumps(metadata)}
    seen: set[int] = set()
    own = {}
    for name, t in tensors.items():
        shared = t.untyped_storage().data_ptr() in seen
        seen.add(t.untyped_storage().data_ptr())
        own[name] = t.detach().clone() if shared else t.detach().contiguous()
    write_bytes_atomic(path, save(own, metadata=header))


def load_safetensors(path: PathLike) -> tuple[dict[str, "Tensor"], dict]:
    """Load the tensors and the "rnnkit" metadata saved by :func:`save_safetensors_atomic`.

    Returns
    -------
    tensors, metadata
        ``metadata`` is ``{}`` for a safetensors file that has no "rnnkit" entry.

    Raises
    ------
    InputError
        The file is missing, is not a safetensors file, or its "rnnkit" entry is not JSON.
    """
    from safetensors import SafetensorError, safe_open

    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    try:
        with safe_open(path, framework="pt") as f:
            header = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (not iterable)
    except SafetensorError as e:
        raise InputError(f"{path} is not a safetensors file ({e})") from e
    try:
        metadata = json.loads(header.get("rnnkit", "{}"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: the 'rnnkit' metadata is not JSON ({e})") from e
    return tensors, metadata


MODEL_FORMAT = 2  # 1 was rnnkit 0.1.0's, one hand-written layout per model
WEIGHTS = "weights.safetensors"
MODEL_KINDS = {  # kind: what writes it, as the messages name it
    "Forecaster": "rnnkit forecast", "ESN": "rnnkit esn", "CharLM": "rnnkit text train",
    "checkpoint": "a training run (its checkpoints/ folder)",
}


def save_model(folder: PathLike, kind: str, tensors: dict[str, "Tensor"], config: dict) -> None:
    """Write a model folder: ``weights.safetensors`` and ``config.json``.

    The safetensors header holds the whole record, ``{"kind", "rnnkit_version", "format",
    "config"}``, so weights and config are written together in one atomic file and can never
    disagree; ``config.json`` is the same record, indented, for people to read.
    :func:`load_model` reads the header only.
    """
    if kind not in MODEL_KINDS:
        raise InputError(f"kind must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    record = {"kind": kind, "rnnkit_version": __version__, "format": MODEL_FORMAT,
              "config": config}
    save_safetensors_atomic(Path(folder) / WEIGHTS, tensors, record)
    write_json_atomic(Path(folder) / "config.json", record)


def load_model(folder: PathLike, kind: str) -> tuple[dict[str, "Tensor"], dict]:
    """The tensors and config of a model folder written by :func:`save_model` for ``kind``.

    Raises
    ------
    InputError
        One line saying what was found and what to pass instead: no such folder, a run folder
        (pass its ``model/``), no model in it, a model of another kind, or a folder written by
        another rnnkit version in a format this one cannot read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; pass a model folder written by "
                         f"{MODEL_KINDS[kind]}")
    if not (folder / WEIGHTS).is_file():
        if (folder / "model" / WEIGHTS).is_file():
            raise InputError(f"{folder} is a run folder; pass its model: {folder / 'model'}")
        raise InputError(f"{folder} holds no rnnkit model (no {WEIGHTS}); pass a model folder "
                         f"written by {MODEL_KINDS[kind]}")
    tensors, record = load_safetensors(folder / WEIGHTS)
    if record.get("format") != MODEL_FORMAT:
        version = record.get("rnnkit_version") or _version_in_config(folder)
        newer = isinstance(record.get("format"), int) and record["format"] > MODEL_FORMAT
        advice = "upgrade rnnkit" if newer else "train it again with this version"
        raise InputError(f"{folder} was written by rnnkit {version} in model format "
                         f"{record.get('format', 1)}, which rnnkit {__version__} cannot read: "
                         f"{advice}")
    if record["kind"] != kind:
        found = record["kind"]
        raise InputError(f"{folder} holds model kind {found!r} (written by "
                         f"{MODEL_KINDS.get(found, 'an unknown command')}), not {kind!r}: pass "
                         f"a model folder written by {MODEL_KINDS[kind]}")
    return tensors, record["config"]


def _version_in_config(folder: Path) -> str:
    """The version an older model folder's config.json records ("0.1.0 or earlier" if none)."""
    try:
        return str(json.loads((folder / "config.json").read_text())["rnnkit_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "0.1.0 or earlier"
