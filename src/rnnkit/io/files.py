"""Files in and out: the jobs' data, corpora, output folders, model folders, atomic writes.

:func:`load_table` and :func:`read_corpus` give the jobs their data: the bundled files, or the
user's, read through :func:`rnnkit.io.tables.read_series`. Every writer goes through a temporary
file in the same directory and ``os.replace``, so a crash or a serialisation error never leaves
half a file. :func:`save_model` / :func:`load_model` are the one model-folder format of every
rnnkit model and training checkpoint. torch is imported only inside the safetensors functions,
so this module loads without it.
"""

import io
import json
import os
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.io.sniff import decode, refuse_binary, sniff_sep
from rnnkit.io.tables import MAX_MAGNITUDE, PathLike, read_panel, read_series

if TYPE_CHECKING:
    from torch import Tensor

AAPL_PROVENANCE = (
    "Aky9821/Apple-Stock-Prediction-LSTM AAPL.csv @ 5f7cd73cdb74205ffbb45be65b10b53f2c56d51e: "
    "Yahoo Finance daily OHLCV, split-adjusted (not dividend-adjusted) Close"
)


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


def load_table(name: str, date_column: str = "", columns: list[str] | None = None, *,
               sep: str = "", decimal: str = "", id_column: str = "", series: str = "",
               ) -> tuple[pd.DataFrame, dict]:
    """The bundled AAPL prices (``name="aapl"``) or a user's file, cleaned, and its record.

    ``date_column``, ``sep``, ``decimal``, ``id_column`` and ``series`` go to
    :func:`~rnnkit.io.tables.read_series` for a file, "" meaning None there (detect, or not used);
    the bundled file is one series, so ``id_column`` / ``series`` are an error with it.

    Returns the frame (the ``columns`` asked for, in order) and a JSON-ready description of
    where it came from: ``{"source", "provenance"}`` for the bundled file, ``{"source",
    "cleaning"}`` (the :class:`~rnnkit.io.tables.CleaningReport`) for a file.
    """
    if name == "aapl":
        if id_column or series:
            raise InputError("--data aapl is a single series: leave out --id-column and "
                             "--series")
        frame = load_aapl()
        missing = [c for c in columns or [] if c not in frame.columns]
        if missing:
            raise InputError(f"--data aapl: no column {missing[0]!r}; columns: "
                             f"{list(frame.columns)}")
        return frame[columns or list(frame.columns)], {"source": "aapl",
                                                        "provenance": AAPL_PROVENANCE}
    frame, report = read_series(name, date_column or None, columns, sep=sep or None,
                                decimal=decimal or None, id_column=id_column or None,
                                series=series or None)
    return frame, {"source": name, "cleaning": report.to_dict()}


def load_panel(name: str, date_column: str = "", columns: list[str] | None = None, *,
               id_column: str, series: tuple[str, ...] = (), sep: str = "", decimal: str = "",
               ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every series of a long-format file (or those in ``series``): {id: frame}, and a record.

    Each series is read as :func:`load_table` reads one (:func:`~rnnkit.io.tables.read_panel`);
    the record counts the series and what cleaning changed in all of them.
    """
    panel = read_panel(name, date_column or None, columns, id_column=id_column,
                       series=list(series) or None, sep=sep or None, decimal=decimal or None)
    reports = [report.to_dict() for _, report in panel.values()]
    return {key: frame for key, (frame, _) in panel.items()}, {
        "source": name, "format": "long", "id_column": id_column, "series": len(panel),
        "rows": sum(len(frame) for frame, _ in panel.values()),
        "duplicates_dropped": sum(r["duplicates_dropped"] for r in reports),
        "filled": sum(sum(r["filled"].values()) for r in reports)}


def load_m4(train: str, test: str = "") -> tuple[dict[str, pd.DataFrame], dict]:
    """The M4 competition's wide files (or ``train="m4-hourly"``, bundled) as a panel.

    Each series is one frame with the column "value" on an integer step index, its test values
    (when given) after its training values; the record has the horizon (the test width) and
    the season of the competition for the series' frequency.
    """
    from rnnkit.forecast.m4 import load_m4_hourly, m4_season, read_m4

    data = load_m4_hourly() if train == "m4-hourly" else read_m4(train, test or None)
    seasons = {m4_season(key) for key in data.ids}
    if len(seasons) > 1:
        raise InputError(f"{train} mixes M4 frequencies (seasons {sorted(seasons)}); one file "
                         "holds one frequency")
    panel = {}
    for k, key in enumerate(data.ids):
        values = data.train[k] if data.test is None else np.concatenate([data.train[k],
                                                                          data.test[k]])
        if np.abs(values).max(initial=0.0) > MAX_MAGNITUDE:  # as read_series refuses them
            raise InputError(f"{train}: series {key} has a value of {np.abs(values).max():g}, "
                             f"beyond ±{MAX_MAGNITUDE:g}, whose square float64 cannot hold: "
                             "rescale it")
        panel[key] = pd.DataFrame({"value": values},
                                  index=pd.RangeIndex(len(values), name="step"))
    return panel, {"source": train, "format": "m4", "test": test or None,
                   "series": len(panel), "horizon": data.horizon, "season": seasons.pop()}


def load_static(path: str) -> pd.DataFrame:
    """Static covariates: a CSV whose first column is the series id, then numeric columns.

    The file is decoded and its separator found as :func:`~rnnkit.io.tables.read_series` does.

    Raises
    ------
    InputError
        One line starting ``--static:``: the file is missing, a folder, unreadable, not text or
        not a CSV; a column is not numeric; a cell is empty, not finite or beyond
        ±``MAX_MAGNITUDE``; an id is empty or appears twice.
    """
    data = _read_bytes(path, "--static")
    try:
        text = decode(path, data)[0]
    except InputError as err:
        raise InputError(f"--static: {err}") from None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sniff_sep(text), index_col=0, dtype={0: str})
    except pd.errors.EmptyDataError:
        raise InputError(f"--static: {path} is empty") from None
    except (pd.errors.ParserError, ValueError) as err:
        raise InputError(f"--static: {path} is not a readable CSV file: "
                         f"{str(err).strip()}") from None
    words = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
             or pd.api.types.is_bool_dtype(frame[c])]
    values = np.zeros(0) if words else frame.to_numpy(dtype=float)
    if words or frame.empty or not np.isfinite(values).all():
        raise InputError(f"--static: {path} must hold numbers for every series, without gaps"
                         f"{'; not numeric: ' + ', '.join(map(repr, words)) if words else ''}")
    if np.abs(values).max() > MAX_MAGNITUDE:
        raise InputError(f"--static: {path} has a value beyond ±{MAX_MAGNITUDE:g}: rescale it")
    frame.index = frame.index.astype("string").str.strip()
    if frame.index.isna().any() or (frame.index == "").any() or frame.index.has_duplicates:
        raise InputError(f"--static: {path} must name each series once in its first column")
    frame.index = frame.index.astype(str)
    return frame


def read_corpus(name: str) -> str:
    """The bundled Tiny Shakespeare (``name="shakespeare"``) or a text file: UTF-8 (a BOM is
    dropped) or UTF-16 with a BOM.

    Raises
    ------
    InputError
        The file cannot be read (missing, a folder, no permission), is an archive, has NUL
        bytes (binary), is not UTF-8, or is empty.
    """
    if name == "shakespeare":
        return (resources.files("rnnkit.datasets") / "tinyshakespeare.txt").read_text("utf-8")
    data = _read_bytes(name, "--corpus")
    refuse_binary(f"--corpus: {name}", data, "text")
    text = _utf16(data)
    if text is None:
        if b"\x00" in data:
            raise InputError(f"--corpus: {name} looks binary (it has NUL bytes), not text")
        skip = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = data[skip:].decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"--corpus: {name} is not UTF-8 text (byte "
                             f"{err.start + skip})") from None
    if not text:
        raise InputError(f"--corpus: {name} is empty")
    return text


def _read_bytes(name: str, flag: str) -> bytes:
    """The bytes of the file ``flag`` names; a folder or an unreadable file is an InputError."""
    if Path(name).is_dir():
        raise InputError(f"{flag}: {name} is a folder, not a file")
    try:
        return Path(name).read_bytes()
    except OSError as err:
        raise InputError(f"{flag}: cannot read {name}: {err.strerror}") from None


def _utf16(data: bytes) -> str | None:
    """The text of UTF-16 bytes that start with a BOM; None for anything else (or binary)."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[2:].decode(encoding)
            except UnicodeDecodeError:  # not UTF-16 after all
                return None
            return None if "\x00" in text else text
    return None


RUN_MARKER = ".rnnkit-out"  # touched by prepare_out as each run starts
RESULTS = (  # what the jobs write into --out, removed there when the next run starts
    "metrics.json", "predictions.csv", "future.csv", "per_series.csv", "forecast.png",
    "loss.png", "error_by_step.png", "series.png", "prediction.png", "search.csv", "search.png",
    "samples.txt", "gradients.json", "gradients.png", "learning_curve.png", "trials.csv",
    "best.toml", "history.png", "importance.png", "confusion.png", "attention.png")


def prepare_out(path: PathLike) -> Path:
    """Create the output folder now, so that an unwritable one fails before any work, and
    remove the results of the run before (so none is left beside this run's).

    Each run touches the folder's marker file ``.rnnkit-out`` here, before it writes anything,
    so the files named in ``RESULTS`` (and ``model/``'s files) that are newer than the marker
    are the last run's own: they are removed, say a ``per_series.csv`` of a many-series run
    that a single-series run would leave beside its own results. Everything else stays: files
    older than the marker (rnnkit did not write them), other names, ``checkpoints/`` (for
    ``--resume``) and a study's ``study.db``. A run that fails before this leaves the folder
    untouched.

    Raises
    ------
    InputError
        The path is a file, or the folder cannot be created or written.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} is a file, not a folder")
    marker = out / RUN_MARKER
    try:
        out.mkdir(parents=True, exist_ok=True)
        if marker.is_file():
            since = marker.stat().st_mtime_ns
            for name in [*RESULTS, f"model/{WEIGHTS}", "model/config.json"]:
                with suppress(FileNotFoundError):  # torchrun ranks remove them at once
                    if (out / name).stat().st_mtime_ns >= since:
                        (out / name).unlink()
            with suppress(OSError):  # only if nothing else is in it
                (out / "model").rmdir()
        marker.write_text("rnnkit: the result files newer than this file are the last run's; "
                          "the next run into this folder removes them first\n")
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
    """Write ``obj`` as strict JSON (indent 2, keys in their order) to ``path`` atomically.

    ``obj`` is serialised before anything is written, so a ``TypeError`` for an object JSON
    cannot hold, or a ``ValueError`` for a NaN or infinity (which strict JSON has no word for,
    and other readers refuse), leaves the previous file untouched.
    """
    write_text_atomic(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


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


MODEL_FORMAT = 3  # 1: rnnkit 0.1.0's hand-written layouts; 2: 0.2.0's single-series forecasters
WEIGHTS = "weights.safetensors"
MODEL_KINDS = {  # kind: what writes it, as the messages name it
    "Forecaster": "rnnkit forecast", "ESN": "rnnkit esn", "CharLM": "rnnkit text train",
    "SequenceClassifier": "rnnkit classify",
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


def prefixed(tensors: dict[str, "Tensor"], prefix: str) -> dict[str, "Tensor"]:
    """The tensors whose names start with ``prefix`` (e.g. an ensemble's "member0."), without it.

    >>> prefixed({"member0.w": 1, "member1.w": 2}, "member1.")
    {'w': 2}
    """
    return {name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)}


def model_kind(folder: PathLike) -> str:
    """The kind of model a folder written by :func:`save_model` holds ("" if it holds none)."""
    path = Path(folder) / WEIGHTS
    return load_safetensors(path)[1].get("kind", "") if path.is_file() else ""


@contextmanager
def rebuilding(folder: PathLike, advice: str = "the folder is damaged or was edited"):
    """Turn what rebuilding a model from a folder's tensors and config raises into one line.

    Loading reads safetensors and JSON only, so nothing in a folder can run code; but a config
    whose shapes disagree with the weights (or that lacks a key) makes torch or NumPy raise
    while the model is put together: that becomes an InputError naming the folder.
    """
    try:
        yield
    except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise InputError(f"{folder}: its weights and config do not fit together "
                         f"({type(err).__name__}: {detail[:200]}); {advice}") from None


def _version_in_config(folder: Path) -> str:
    """The version an older model folder's config.json records ("0.1.0 or earlier" if none)."""
    try:
        return str(json.loads((folder / "config.json").read_text())["rnnkit_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return "0.1.0 or earlier"
