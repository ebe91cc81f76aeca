"""One way in for data: a path, a bundled name or a pandas frame in; series, sequences or text out.

Each ``load_*`` function resolves its source once, here: a bundled name through the registry
(:mod:`rnnkit.io.datasets`), a path or a frame to the one reader of its format, which it
decides once (:func:`series_layout` for series: the M4 competition's wide files, a long-format
file of many series, or a table of one). The readers below never look a name up again:

====================  =====================================================================
:func:`load_series`   one series (a frame) or many (a panel: {id: frame}) and a record of
                      where they came from: :mod:`~rnnkit.io.tables`, :mod:`~rnnkit.io.m4_files`
:func:`load_sequences`  labelled sequences: :mod:`~rnnkit.io.sequence_files`
:func:`load_corpus`   a text corpus: :mod:`~rnnkit.io.corpus`
====================  =====================================================================

Example
-------
>>> frame, record = load_series("aapl", ["Close"])
>>> len(frame), record["source"]
(1510, 'aapl')
>>> same, _ = load_series(frame)  # a frame reads as its file does
>>> bool(same.equals(frame))
True
>>> data = load_sequences("ecg200", "test")
>>> len(data.ids), data.source
(100, 'ecg200 (test, bundled)')
"""

import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from rnnkit._checks import InputError, check_choice
from rnnkit.io.corpus import read_corpus
from rnnkit.io.datasets import DATASETS, Dataset, bundled, dataset_names
from rnnkit.io.m4_files import is_m4_file, load_m4_hourly, m4_panel, read_m4
from rnnkit.io.parsing import source_name
from rnnkit.io.sequence_files import read_labelled
from rnnkit.io.sequences import LabelledSeries
from rnnkit.io.sniff import PathLike
from rnnkit.io.tables import LongFormat, read_panel, read_series

DataSource = PathLike | pd.DataFrame | pd.Series  # a file, a bundled name, or a frame
FORMATS = ("auto", "table", "m4")  # what ``format`` may say of a series file
Series = pd.DataFrame | dict[str, pd.DataFrame]  # one series, or a panel {id: frame}


def load_aapl() -> pd.DataFrame:
    """Apple's daily prices 2015-01-02 .. 2020-12-30 (1510 sessions), shipped with rnnkit.

    Columns Open, High, Low, Close, Adj Close, Volume (float64); Open/High/Low/Close are
    split-adjusted, not dividend-adjusted. Provenance: ``bundled("aapl").provenance`` and
    ``rnnkit/datasets/SOURCES.md``.

    Example
    -------
    >>> prices = load_aapl()
    >>> len(prices), float(prices["Close"].iloc[-1])
    (1510, 133.720001)
    """
    return _bundled_frame(bundled("aapl"))


def series_layout(data: DataSource, format: str = "auto", id_column: str = "",
                  series: str | Sequence[str] = "") -> str:
    """How the series of ``data`` are laid out, decided once for every reader: "m4" (the M4
    competition's wide files), "panel" (a long-format file of many series) or "table" (one).

    A bundled name has its registry kind. A file is "m4" when ``format`` says so, or when it is
    "auto" and the file starts as M4's do (:func:`~rnnkit.io.m4_files.is_m4_file`); else
    "panel" when ``id_column`` is given and ``series`` names no single series (none: every
    series; a sequence, or a string with commas: those), else "table".

    >>> series_layout("m4-hourly"), series_layout("aapl")
    ('m4', 'table')
    >>> series_layout("prices.csv", id_column="Name", series="AAPL, MSFT")
    'panel'
    """
    check_choice("format", format, FORMATS)
    dataset = _dataset(data, "series", "panel")
    if dataset is not None:
        return "m4" if dataset.kind == "panel" else "table"
    if not isinstance(data, pd.DataFrame | pd.Series) and (format == "m4" or (
            format == "auto" and Path(data).is_file() and is_m4_file(data))):
        return "m4"
    names = _series_names(series)
    return "panel" if id_column and (len(names) != 1 or not isinstance(series, str)) else "table"


def load_series(data: DataSource, columns: list[str] | None = None, *, date_column: str = "",
                sep: str = "", decimal: str = "", id_column: str = "",
                series: str | Sequence[str] = "", test_data: PathLike = "", format: str = "auto",
                dayfirst: bool = False, date_format: str = "", gaps: str = "interpolate",
                no_dates: bool = False, many: bool = True) -> tuple[Series, dict]:
    """The series ``data`` holds, and a JSON-ready record of where they came from.

    Parameters
    ----------
    data
        A bundled name ("aapl", "m4-hourly"), a CSV or Parquet file, or a pandas frame (its
        DatetimeIndex, or an index named like a time, is its time column).
    columns
        The value columns to keep, in this order; None: every numeric one. A first name ""
        leaves the target to the data (:func:`obvious_target`); the record's "target" names it.
    date_column, sep, decimal, id_column, series, dayfirst, date_format, gaps, no_dates
        How a table is read (:func:`~rnnkit.io.tables.read_series`), "" meaning detect or
        unused; ``series``: one id (a table), or several (a sequence, or ids separated by
        commas) or none with ``id_column`` (a panel).
    test_data
        The M4 test file beside an M4 training file ``data``.
    format
        "auto", "table" or "m4": :func:`series_layout`.
    many
        False: ``data`` must hold one series (a table); a panel is an error.

    Returns
    -------
    series, record
        A frame (one series) or {id: frame} (a panel). The record has ``"source"`` and:
        ``"provenance"`` (bundled), ``"cleaning"`` (a table's
        :class:`~rnnkit.io.tables.CleaningReport`), the panel's counts (``"format": "long"``),
        or ``"format": "m4"`` with the test file, the horizon and the season.

    Raises
    ------
    InputError
        One line: the source is unknown, of another kind, or its file is refused by its
        reader (which names the file, line and column).
    """
    if columns and not columns[0]:  # the target left to the data
        found, record = load_series(data, None, date_column=date_column, sep=sep,
                                    decimal=decimal, id_column=id_column, series=series,
                                    test_data=test_data, format=format, dayfirst=dayfirst,
                                    date_format=date_format, gaps=gaps, no_dates=no_dates,
                                    many=many)
        if record.get("format") == "m4":
            return found, record
        target = obvious_target(next(iter(found.values())) if isinstance(found, dict)
                                else found, _record_name(data), columns[1:])
        keep = [target, *columns[1:]]
        if isinstance(found, dict):
            return {key: frame[keep] for key, frame in found.items()}, record | {
                "target": target}
        return found[keep], record | {"target": target}
    layout = series_layout(data, format, id_column, series)
    if not many and layout == "m4":
        raise InputError(f"`data` {source_name(data)} holds many series (the M4 competition's "
                         "files); this reads one series")
    if layout == "m4":
        return _m4(str(data), str(test_data))
    names = _series_names(series)
    times = {"dayfirst": dayfirst, "date_format": date_format, "gaps": gaps,
             "no_dates": no_dates}
    if layout == "panel" and many:
        return _panel(data, date_column, columns, id_column, names, sep, decimal, times)
    if _dataset(data, "series") is not None:
        return _bundled_table(bundled(data), columns, id_column, series)
    one = series if isinstance(series, str) else (names[0] if names else "")
    try:
        frame, report = read_series(data, date_column or None, columns, sep=sep or None,
                                    decimal=decimal or None, id_column=id_column or None,
                                    series=one or None, **times)
    except LongFormat as long:
        if not many or id_column:
            raise
        panel, record = _panel(data, date_column, columns, long.id_column, [], sep, decimal,
                               times)
        warnings.warn(f"{_record_name(data)}: one series per {long.id_column!r} (long format): "
                      f"{len(panel)} series, one model for all; `id_column` {long.id_column} "
                      "with `series` <id> forecasts one", stacklevel=2)
        return panel, record
    return frame, {"source": _record_name(data), "cleaning": report.to_dict()}


def obvious_target(frame: pd.DataFrame, source: str, others: Sequence[str] = ()) -> str:
    """The column to forecast when none is named: the only numeric column besides ``others``
    (the covariates), else "Close" when there is one (a price file), else an error listing
    them."""
    candidates = [c for c in frame.columns if c not in others]
    if len(candidates) == 1:
        return candidates[0]
    if "Close" in candidates:
        return "Close"
    listed = ", ".join(repr(c) for c in candidates[:8]) + (" ..." if len(candidates) > 8 else "")
    raise InputError(f"{source} has {len(candidates)} numeric columns ({listed}): name the one "
                     "to forecast with `target`")


def load_sequences(data: DataSource, part: str = "train", **options) -> LabelledSeries:
    """The labelled sequences of a bundled data set ("ecg200"; ``part`` "train" or "test"
    picks its file), a file (UCR or long format; ``part`` unused) or a long-format frame.

    ``options`` go to :func:`~rnnkit.io.sequence_files.read_labelled`: ``format``, ``sep``,
    ``id_column``, ``time_column``, ``label_column``, ``columns``, ``labelled``.
    """
    dataset = _dataset(data, "sequences")
    if dataset is None:
        return read_labelled(data, **options)
    check_choice("part", part, dataset.parts)
    with dataset.path(part) as path:
        return read_labelled(path, f"{data} ({part}, bundled)", **options)


def load_corpus(corpus: PathLike) -> str:
    """The text of the bundled corpus ("shakespeare") or of a text file
    (:func:`~rnnkit.io.corpus.read_corpus`)."""
    dataset = _dataset(corpus, "corpus")
    if dataset is None:
        return read_corpus(corpus)
    with dataset.path() as path:
        return path.read_text("utf-8")


def _dataset(data: object, *kinds: str) -> Dataset | None:
    """The bundled data set ``data`` names (it must be of ``kinds``), or None for a file or a
    frame. A word that is neither a file nor a bundled name is an error listing the names."""
    if not isinstance(data, str):
        return None
    if data in DATASETS:
        return bundled(data, *kinds)
    if not Path(data).exists() and not Path(data).suffix and "/" not in data:
        raise InputError(f"{data}: no such file, nor a bundled data set; the bundled ones are "
                         f"{', '.join(dataset_names(*kinds))}")
    return None


def _series_names(series: str | Sequence[str]) -> list[str]:
    """The ids ``series`` names: a sequence of ids, or ids separated by commas."""
    names = series.split(",") if isinstance(series, str) else [str(s) for s in series]
    return [name.strip() for name in names if name.strip()]


def _record_name(data: DataSource) -> str:
    return "frame" if isinstance(data, pd.DataFrame | pd.Series) else str(data)


def _bundled_table(dataset: Dataset, columns: list[str] | None, id_column: str,
                   series: str | Sequence[str]) -> tuple[pd.DataFrame, dict]:
    """A bundled single series (its ``columns``), recorded with its provenance."""
    if id_column or series:
        raise InputError(f"`data` {dataset.name} is a single series: leave out `id_column` and "
                         "`series`")
    frame = _bundled_frame(dataset)
    missing = [c for c in columns or [] if c not in frame.columns]
    if missing:
        raise InputError(f"`data` {dataset.name}: no column {missing[0]!r}; columns: "
                         f"{list(frame.columns)}")
    return frame[columns or list(frame.columns)], {"source": dataset.name,
                                                    "provenance": dataset.provenance}


def _bundled_frame(dataset: Dataset) -> pd.DataFrame:
    """Every column of a bundled single series (its time column found as in any file)."""
    with dataset.path() as path:
        return read_series(path)[0]


def _panel(data: DataSource, date_column: str, columns: list[str] | None, id_column: str,
           names: list[str], sep: str, decimal: str,
           times: dict) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every series of a long-format file (or those ``names``): {id: frame}, and a record that
    counts the series and what cleaning changed in all of them (``times``: how times are
    read, :func:`~rnnkit.io.tables.read_series`)."""
    panel = read_panel(data, date_column or None, columns, id_column=id_column,
                       series=names or None, sep=sep or None, decimal=decimal or None,
                       **times)
    reports = [report.to_dict() for _, report in panel.values()]
    return {key: frame for key, (frame, _) in panel.items()}, {
        "source": _record_name(data), "format": "long", "id_column": id_column,
        "series": len(panel), "rows": sum(len(frame) for frame, _ in panel.values()),
        "duplicates_dropped": sum(r["duplicates_dropped"] for r in reports),
        "filled": sum(sum(r["filled"].values()) for r in reports),
        "inserted": sum(r.get("inserted", 0) for r in reports)}


def _m4(train: str, test: str) -> tuple[dict[str, pd.DataFrame], dict]:
    """The M4 files (or the bundled "m4-hourly") as a panel, with the horizon (the test width)
    and the competition's season for the series' frequency."""
    data = load_m4_hourly() if train in DATASETS else read_m4(train, test or None)
    panel, season = m4_panel(data, train)
    return panel, {"source": train, "format": "m4", "test": test or None, "series": len(panel),
                   "horizon": data.horizon, "season": season}
