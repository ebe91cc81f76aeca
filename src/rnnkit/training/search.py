"""Search spaces: the hyperparameters a tuning study may vary, declared beside the configs.

A space maps a flag's field name to a :class:`Param`: integers or floats in [low, high]
(log-spaced when ``log``), or a list of choices. A TOML file overrides it, one key per
parameter::

    hidden_size = {low = 16, high = 256, log = true}   # replaces or adds a range
    batch_size = [32, 64]                              # a list: the choices
    dropout = 0.1                                      # a plain value: fixed, not searched

:func:`suggest` asks an Optuna trial for one value of every parameter (Optuna's TPE sampler
then models the results); nothing here imports Optuna.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnnkit._checks import InputError
from rnnkit._fields import read_toml


@dataclass(frozen=True)
class Param:
    """One dimension: ``kind`` "int" or "float" in [low, high] (``log``-spaced), or "choice"."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple = ()

    def __post_init__(self) -> None:
        if self.kind == "choice":
            if not self.choices:
                raise InputError("a choice parameter needs at least one choice")
        elif not (self.low <= self.high) or (self.log and self.low <= 0):
            raise InputError(f"a search range needs low <= high (and low > 0 when log), got "
                             f"low={self.low}, high={self.high}, log={self.log}")

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(map(str, self.choices))
        return f"{self.kind} in [{self.low:g}, {self.high:g}]" + (" (log)" if self.log else "")


def Int(low: int, high: int, log: bool = False) -> Param:
    return Param("int", low, high, log)


def Float(low: float, high: float, log: bool = False) -> Param:
    return Param("float", low, high, log)


def Choice(*choices: Any) -> Param:
    return Param("choice", choices=tuple(choices))


def read_space(path: str | Path, space: dict[str, Param], known: dict[str, type]
               ) -> tuple[dict[str, Param], dict[str, Any]]:
    """``space`` with the TOML file's overrides, and the values it fixes.

    ``known`` maps every field the job has to its type: a key that is no field is an error.
    """
    data = read_toml(path, "`space`")
    space, fixed = dict(space), {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise InputError(f"`space`: {path}: {key!r} is not a parameter of this job")
        kind = "int" if known[name] is int else "float"
        if isinstance(value, dict):
            unknown = set(value) - {"low", "high", "log"}
            if unknown or not {"low", "high"} <= set(value):
                raise InputError(f"`space`: {path}: {key} needs low and high (and optionally "
                                 f"log), got {sorted(value)}")
            space[name] = Param(kind, value["low"], value["high"], bool(value.get("log")))
        elif isinstance(value, list):
            space[name] = Choice(*value)
        else:
            space.pop(name, None)
            fixed[name] = value
    return space, fixed


def suggest(trial, space: dict[str, Param]) -> dict[str, Any]:
    """One value per parameter of ``space`` from an Optuna trial."""
    values = {}
    for name, p in space.items():
        if p.kind == "choice":
            values[name] = trial.suggest_categorical(name, list(p.choices))
        elif p.kind == "int":
            values[name] = trial.suggest_int(name, int(p.low), int(p.high), log=p.log)
        else:
            values[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
    return values
