"""``opt``: a dataclass field that carries its own help text, so a config documents itself.

The library's configs (``TrainConfig``, ``ModelConfig``, ``ReservoirConfig``) and the job
dataclasses of :mod:`rnnkit.config` declare every field with it; :mod:`rnnkit.config` turns the
fields into command-line flags, with this help text, the allowed values and the default.
"""

from dataclasses import field
from typing import Any


def opt(default: Any, help: str, choices: tuple[str, ...] | None = None,
        positional: bool = False, group: str = "") -> Any:
    """A dataclass field with ``default``, its ``help`` text and its allowed values.

    ``positional=True`` makes it a positional command-line argument instead of a flag;
    ``group`` files its flag under another heading of ``--help`` than its config's.
    """
    return field(default=default, metadata={"help": help, "choices": choices,
                                            "positional": positional, "group": group})
