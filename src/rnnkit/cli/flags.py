"""Flags <-> jobs: the one place that turns a job dataclass into ``--flags`` and back.

A job's leaf fields are its flags (``hidden_size`` -> ``--hidden-size``), with the help text,
allowed values and default of their ``opt``; its sections' fields are flags too, under the
heading of their config. Precedence when building a job: defaults < ``--config run.toml`` <
flags typed. :mod:`rnnkit.cli.app` parses with these; ``rnnkit tune`` rebuilds jobs with them.
"""

import argparse
from dataclasses import MISSING, asdict, fields, is_dataclass
from pathlib import Path
from typing import Any

from rnnkit._checks import InputError
from rnnkit._fields import read_toml
from rnnkit.anomaly.detector import DetectorConfig
from rnnkit.cli.config import DataConfig
from rnnkit.forecast.hybrid.config import HybridConfig
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.speech.recognizer import SpeechConfig
from rnnkit.training.loop import TrainConfig
from rnnkit.training.runtime import RuntimeConfig


def _default(f: Any, defaults: Any) -> Any:
    """A field's default: the enclosing default's value, else its own default (or factory)."""
    if defaults is not None:
        return getattr(defaults, f.name)
    return f.default_factory() if f.default is MISSING else f.default


# The --help headings: a section's flags go under its config's, the job's own under its name
SECTION_GROUPS = {DataConfig: "data", ModelConfig: "model", TrainConfig: "training",
                  ReservoirConfig: "reservoir", HybridConfig: "hybrid",
                  DetectorConfig: "detector", SpeechConfig: "recogniser",
                  RuntimeConfig: "runtime"}
GROUPS = {
    "data": "where the series comes from and how its file is read",
    "model": "the recurrent network (rnnkit.nn.ModelConfig)",
    "training": "how the network is trained (rnnkit.training.TrainConfig)",
    "through time": "gradient clipping, truncated BPTT and spectral constraints on W_hh",
    "reservoir": "the echo state network's reservoir and readout "
                 "(rnnkit.reservoir.ReservoirConfig)",
    "hybrid": "the hybrid of --model hybrid: Holt-Winters per series and a dilated LSTM "
              "(rnnkit.forecast.hybrid.HybridConfig)",
    "detector": "the anomaly detector: its forecaster, how it adapts, how surprise becomes a "
                "score (rnnkit.anomaly.DetectorConfig)",
    "recogniser": "the recogniser: its network and its training on connected strings "
                  "(rnnkit.speech.SpeechConfig)",
    "runtime": "threads, device and processes (rnnkit.training.runtime)",
    "output": "where the results go, resuming, and progress",
    "the study": "the Optuna study: trials, storage, search space (rnnkit tune)",
}
OUTPUT_FLAGS = ("out", "resume", "progress")


def _leaves(job_cls: type, defaults: Any = None, omit: tuple[str, ...] = (), group: str = ""):
    """(field, default, --help heading) for every flag of ``job_cls``, sections included."""
    unknown = set(omit) - {f.name for f in fields(job_cls)}
    if unknown:
        raise TypeError(f"{job_cls.__name__} has no field {sorted(unknown)} to leave out")
    for f in fields(job_cls):
        if f.name in omit or f.metadata.get("flag") is False:
            continue
        default = _default(f, defaults)
        if is_dataclass(f.type):
            yield from _leaves(f.type, default, f.metadata.get("omit", ()),
                               SECTION_GROUPS.get(f.type, f.name))
        else:
            yield f, default, (f.metadata.get("group") or group
                               or ("output" if f.name in OUTPUT_FLAGS else ""))


def flat_fields(job_cls: type, defaults: Any = None, omit: tuple[str, ...] = ()
                ) -> list[tuple[Any, Any]]:
    """(field, default) for every flag of ``job_cls``: its own fields, then its sections'."""
    return [(f, default) for f, default, _ in _leaves(job_cls, defaults, omit)]


def help_text(f: Any, default: Any) -> str:
    """A flag's help: the field's text, its allowed values, its default."""
    choices = f.metadata.get("choices")
    allowed = f"; one of: {', '.join(map(str, choices))}" if choices else ""
    return f"{f.metadata['help']}{allowed} (default: {default!s})"


def add_job_arguments(parser: argparse.ArgumentParser, job_cls: type,
                      omit: tuple[str, ...] = (), config: bool = True,
                      title: str = "") -> None:
    """Add one ``--flag`` per leaf field of ``job_cls`` (but ``omit``), typed and documented
    from the field, under one heading per config (:data:`GROUPS`; the job's own flags under
    ``title``), and ``--config`` unless ``config`` is False."""
    if config:
        parser.add_argument("--config", type=Path, metavar="TOML",
                            help="read flag values from a TOML file (flags given here win; "
                                 "keys that do not apply to the chosen model are ignored)")
    groups: dict[str, Any] = {}
    for f, default, heading in _leaves(job_cls, omit=omit):
        heading = heading or title
        if heading not in groups:
            groups[heading] = parser.add_argument_group(
                heading, GROUPS.get(heading, "this command's own settings"))
        group, flag = groups[heading], "--" + f.name.replace("_", "-")
        text = help_text(f, default).replace("%", "%%")  # argparse formats help with %
        if f.metadata.get("positional") == "many":  # FILE ...: a tuple of one or more
            group.add_argument(f.name, nargs="*", default=None, help=text,
                               metavar=f.name.upper().rstrip("S"))
        elif f.metadata.get("positional"):
            group.add_argument(f.name, nargs="?", default=None, help=text,
                               choices=f.metadata.get("choices"))
        elif f.type is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                               help=text)
        else:
            group.add_argument(flag, type=f.type, default=None, help=text,
                               choices=f.metadata.get("choices"), metavar=f.name.upper())


def job_from_args(job_cls: type, args: argparse.Namespace, config: bool = True,
                  notes: list[str] | None = None) -> Any:
    """Build the job: field defaults, then the TOML file's values (``--config``, unless
    ``config`` is False), then the flags given.

    A flag typed on the command line that does nothing for the job (its ``inapplicable()``,
    e.g. ``--epochs`` with ``--model esn``) is an InputError with the reason; such a key in the
    TOML file is dropped, with a line in ``notes``.
    """
    from_file = _read_toml(args.config, job_cls) if config and args.config is not None else {}
    typed = {f.name: getattr(args, f.name) for f, _ in flat_fields(job_cls)
             if getattr(args, f.name, None) is not None}
    job = _build(job_cls, from_file | typed)
    unused, reason = job.inapplicable()
    wrong = [name for name in typed if name in unused]
    if wrong:
        flags = ", ".join("--" + name.replace("_", "-") for name in wrong)
        raise InputError(f"{flags} {'does' if len(wrong) == 1 else 'do'} not apply: {reason}")
    ignored = [name for name in from_file if name in unused]
    if ignored:
        if notes is not None:
            notes.append(f"--config {args.config}: ignoring {', '.join(ignored)}: {reason}")
        job = _build(job_cls, {k: v for k, v in from_file.items() if k not in unused} | typed)
    return job


def flag_values(job: Any, omit: tuple[str, ...] = ()) -> dict:
    """Every flag's value in ``job`` (but ``omit``), by field name: what ``--config`` reads."""
    values = {}
    for f in fields(job):
        if f.name in omit or f.metadata.get("flag") is False:
            continue
        value = getattr(job, f.name)
        if is_dataclass(f.type):
            values |= flag_values(value, f.metadata.get("omit", ()))
        else:
            values[f.name] = value
    return values


def job_with(job: Any, values: dict) -> Any:
    """``job`` with some flags changed, by field name (``{"hidden_size": 64}``), checked anew."""
    return _build(type(job), flag_values(job) | values)


def _build(job_cls: type, values: dict, defaults: Any = None, omit: tuple[str, ...] = ()) -> Any:
    """``job_cls`` from flat ``values``; sections take the keys that are theirs."""
    kwargs = {}
    for f in fields(job_cls):
        default = _default(f, defaults)
        if is_dataclass(f.type):
            kwargs[f.name] = _build(f.type, values, default, f.metadata.get("omit", ()))
        elif f.name in values and f.name not in omit:
            kwargs[f.name] = values[f.name]
        else:
            kwargs[f.name] = default
    return job_cls(**kwargs)


def _read_toml(path: Path, job_cls: type) -> dict:
    data = read_toml(path, "--config")
    known = {f.name: f for f, _ in flat_fields(job_cls)}
    values = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise InputError(f"--config: {path}: unknown key {key!r}")
        expected = known[name].type
        allowed = (int, float) if expected is float else (expected,)
        if not isinstance(value, allowed) or (expected is not bool and isinstance(value, bool)):
            raise InputError(f"--config: {path}: {key} must be {expected.__name__}, "
                             f"got {value!r}")
        values[name] = expected(value)
    return values


def job_record(job: Any) -> dict:
    """The job as a JSON-ready dict (what gets written beside results)."""
    return asdict(job)
