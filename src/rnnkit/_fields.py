"""``opt``: a dataclass field that carries its own help text, so a config documents itself.

The library's configs (``TrainConfig``, ``ModelConfig``, ``ReservoirConfig``) and the job
dataclasses of :mod:`rnnkit.cli.config` declare every field with it; :mod:`rnnkit.cli.config` turns
the fields into command-line flags, with this help text, the allowed values and the default.
"""

import tomllib
from dataclasses import field
from pathlib import Path
from typing import Any

from rnnkit._checks import InputError


def opt(default: Any, help: str, choices: tuple[str, ...] | None = None,
        positional: bool | str = False, group: str = "") -> Any:
    """A dataclass field with ``default``, its ``help`` text and its allowed values.

    ``positional=True`` makes it a positional command-line argument instead of a flag
    (``"many"``: any number of them, a tuple);
    ``group`` files its flag under another heading of ``--help`` than its config's.
    """
    return field(default=default, metadata={"help": help, "choices": choices,
                                            "positional": positional, "group": group})


def read_toml(path: str | Path, name: str) -> dict:
    """The table of a TOML file given as ``name`` (a parameter, or the CLI's flag); a missing,
    unreadable or invalid file is one line naming it."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{name}: file not found: {path}") from None
    except OSError as err:
        raise InputError(f"{name}: cannot read {path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{name}: {path} is not valid TOML: {err}") from None
