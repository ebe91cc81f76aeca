"""Files out: output folders, atomic writes, model folders.

Every writer goes through a temporary file in the same directory and ``os.replace``, so a
crash or a serialisation error never leaves half a file. :func:`save_model` /
:func:`load_model` are the one model-folder format of every rnnkit model and training
checkpoint. Data comes in through :mod:`rnnkit.io.sources`. torch is imported only inside the
safetensors functions, so this module loads without it.
"""

import json
import os
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.io.sniff import PathLike

if TYPE_CHECKING:
    from torch import Tensor

RUN_MARKER = ".rnnkit-out"  # touched by prepare_out as each run starts
RESULTS = (  # what the jobs write into --out, removed there when the next run starts
    "metrics.json", "predictions.csv", "future.csv", "per_series.csv", "forecast.png",
    "loss.png", "error_by_step.png", "series.png", "prediction.png", "search.csv", "search.png",
    "samples.txt", "gradients.json", "gradients.png", "learning_curve.png", "trials.csv",
    "best.toml", "history.png", "importance.png", "confusion.png", "attention.png",
    "detections.csv", "report.csv", "transcripts.csv", "alignment.png", "translations.csv")


def prepare_out(out: PathLike) -> Path:
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
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"`out`: {out} is a file, not a folder")
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
        raise InputError(f"`out`: cannot write to {out}: {err.strerror}") from None
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


def written_decimals(values, most: int = 6) -> int:
    """The decimals a series is written with: the fewest d <= ``most`` such that every value
    equals itself rounded to d places (to 1e-9 of its size), so that a forecast written beside
    it is not more precise than the data.

    >>> written_decimals([1.5, 2.25, 3.0]), written_decimals([133.720001]), written_decimals([7.0])
    (2, 6, 0)
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    for d in range(most + 1):
        if np.all(np.abs(np.round(values, d) - values) <= 1e-9 * np.maximum(1, np.abs(values))):
            return d
    return most


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
    "Forecaster": "rnnkit forecast", "HybridForecaster": "rnnkit forecast --model hybrid",
    "ESN": "rnnkit esn", "CharLM": "rnnkit text train",
    "SequenceClassifier": "rnnkit classify", "SpeechRecognizer": "rnnkit speech train",
    "Translator": "rnnkit translate train",
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


def save_members(folder: PathLike, kind: str, members: list, config: dict) -> None:
    """Write an ensemble as a model folder: member k's ``tensors()`` named "member{k}.<name>",
    with ``config`` (:func:`save_model`). The members are window models or classifier members
    (their protocols' ``tensors``)."""
    tensors = {f"member{k}.{name}": t.detach().contiguous()
               for k, member in enumerate(members) for name, t in member.tensors().items()}
    save_model(folder, kind, tensors, config)


def load_members(folder: PathLike, kind: str, registry: dict[str, type], section: str,
                 ) -> tuple[object, list, dict]:
    """(the unfitted member model, the fitted members, the config) of an ensemble folder
    written by :func:`save_members`.

    ``config[section]`` records the estimator's parameters, among them ``ensemble`` (how many
    members) and ``model``: the member's kind (a key of ``registry``, whose class rebuilds it
    with ``from_params``) and its parameters. Member k is the model reseeded with seed + k,
    given its saved tensors (``load_tensors``).
    """
    tensors, config = load_model(folder, kind)
    with rebuilding(folder):
        record = config[section]
        model = registry[record["model"]["kind"]].from_params(record["model"]["params"])
        members = [model.reseeded(model.seed + k).load_tensors(prefixed(tensors, f"member{k}."))
                   for k in range(record["ensemble"])]
    return model, members, config
