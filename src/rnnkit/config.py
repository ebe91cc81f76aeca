"""Job dataclasses and the one function that turns command-line flags into them.

Each CLI subcommand has one frozen dataclass whose fields are its flags: the field name with
dashes (``hidden_size`` -> ``--hidden-size``), the default, and the help text from ``opt``. So
``--help`` explains every flag, and the resolved job is a plain record that reproduces the run.
Precedence: defaults < ``--config run.toml`` < flags. Imports no torch.
"""

import argparse
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from rnnkit._checks import InputError, check_non_negative_int, check_positive_int


def opt(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field carrying its CLI help text (and choices, if any)."""
    return field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class LayersJob:
    """Check rnnkit.nn against torch.nn on this machine: agreement and speed of each path."""

    batch_size: int = opt(64, "sequences per batch")
    seq_len: int = opt(60, "time steps per sequence")
    input_size: int = opt(1, "features per time step")
    hidden_size: int = opt(100, "hidden units per layer")
    repeats: int = opt(7, "timed forward+backward passes per path; the median is reported")
    seed: int = opt(0, "seeds the weights and inputs")

    def __post_init__(self) -> None:
        for name in ("batch_size", "seq_len", "input_size", "hidden_size", "repeats"):
            check_positive_int(name, getattr(self, name))
        check_non_negative_int("seed", self.seed)


def add_job_arguments(parser: argparse.ArgumentParser, job_cls: type) -> None:
    """Add one ``--flag`` per field of ``job_cls``, typed and documented from the field."""
    parser.add_argument("--config", type=Path, metavar="TOML",
                        help="read flag values from a TOML file (flags given here win)")
    for f in fields(job_cls):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} (default: {f.default})"
        if f.type is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                help=help_text)
        else:
            parser.add_argument(flag, type=f.type, default=None, help=help_text,
                                choices=f.metadata.get("choices"),
                                metavar=f.name.upper())


def job_from_args(job_cls: type, args: argparse.Namespace) -> Any:
    """Build the job: field defaults, then the TOML file's values, then the flags given."""
    values = {}
    if args.config is not None:
        values |= _read_toml(args.config, job_cls)
    values |= {f.name: getattr(args, f.name) for f in fields(job_cls)
               if getattr(args, f.name) is not None}
    return job_cls(**values)


def _read_toml(path: Path, job_cls: type) -> dict:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"--config: file not found: {path}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"--config: {path} is not valid TOML: {err}") from None
    known = {f.name: f for f in fields(job_cls)}
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

