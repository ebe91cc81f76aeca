"""What every job is built from: the section field, the Job base, the data a series job reads.

Each CLI subcommand has one frozen dataclass whose fields are its flags: the field name with
dashes (``hidden_size`` -> ``--hidden-size``), the default, and the help text from ``opt``. A job
composes the library's configs (``ModelConfig``, ``TrainConfig``, ``ReservoirConfig``) as
sections whose fields become flags too, so a flag such as ``--hidden-size`` is the library's
field itself, checked once, by the library. The resolved job is a plain record that
reproduces the run. :mod:`rnnkit.cli.flags` turns these dataclasses into flags and back.
"""

from dataclasses import dataclass, field, fields
from typing import Any

from rnnkit._fields import opt
from rnnkit.io.datasets import described
from rnnkit.io.gaps import GAPS
from rnnkit.nn.models import ModelConfig
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.loop import TrainConfig


def section(default: Any, omit: tuple[str, ...] = ()) -> Any:
    """A job field holding a library config; its fields are flags, except those in ``omit``
    (the job sets them itself, or they mean nothing for it), which keep ``default``'s values.

    A name in ``omit`` that is not a field of the config is a programming error, raised when
    the job is defined (a misspelt name would otherwise leave its flag in place, silently).
    """
    unknown = set(omit) - {f.name for f in fields(default)}
    if unknown:
        raise TypeError(f"section({type(default).__name__}): omit names no field "
                        f"{sorted(unknown)}")
    return field(default_factory=lambda: default, metadata={"omit": omit})


class Job:
    """What every job dataclass answers besides its fields."""

    def inapplicable(self) -> tuple[set[str], str]:
        """The flags that do nothing for this job's settings (e.g. the trainer's with an echo
        state network), and why; none by default."""
        return set(), ""


AUTO_EPOCHS = 60  # the default budget: epochs of at most AUTO_EPOCH_BATCHES batches each
AUTO_EPOCH_BATCHES = 64


@dataclass(frozen=True)
class DataConfig:
    """Where a series comes from and how its file is read."""

    data: str = opt("aapl", f"the series: {described('series', 'panel')}, a CSV or Parquet "
                    "file (.gz too), or for esn 'mackey-glass' (generated)")
    date_column: str = opt("", "time column of the file (dates, epoch seconds or integer "
                           "steps); empty = detect it")
    target: str = opt("", "column to forecast; empty = the only numeric column (Close when "
                      "there are several and one is Close)")
    sep: str = opt("", "field separator of a CSV file; empty = detect it (, ; tab |)")
    decimal: str = opt("", "decimal mark of a CSV file; empty = detect it ('.' or ',')")
    id_column: str = opt("", "the column naming each series of a long-format file (e.g. Name); "
                         "without --series one global model learns every series")
    series: str = opt("", "with --id-column: the series to forecast, one (e.g. AAPL) or "
                      "several separated by commas (one global model)")
    test_data: str = opt("", "the M4 competition's test file beside --data, its training file")
    format: str = opt("auto", "the file's layout: auto (detect), table (a time column and value "
                      "columns, long or wide), m4 (an id, then each series' values)",
                      ("auto", "table", "m4"))
    dayfirst: bool = opt(False, "read dates such as 03.04.2022 day first (3 April); without it "
                         "the order is decided from the dates (a day above 12 settles it)")
    date_format: str = opt("", "the dates' format in strftime codes, e.g. %d/%m/%Y %H:%M; empty "
                           "= detect it")
    gaps: str = opt("interpolate", "missing times of a regular series: interpolate (levels, "
                    "linearly), zero (counts), ffill (the last value), error (refuse), or keep "
                    "(the times as they are: event times, trading sessions)",
                    GAPS)

    dates: bool = opt(True, "the file has a time column; --no-dates: it has none, its rows in "
                      "file order are the steps 0, 1, ...")

    def reading(self) -> dict:
        """How to read the data, as :func:`rnnkit.io.sources.load_series`'s keywords."""
        return {name: getattr(self, name) for name in (
            "date_column", "sep", "decimal", "id_column", "series", "test_data", "format",
            "dayfirst", "date_format", "gaps")} | {"no_dates": not self.dates}


def network_or_reservoir(model: str, network_only: set[str], readout: str
                         ) -> tuple[set[str], str]:
    """``inapplicable()`` of a job whose ``--model`` is a recurrent cell or ``esn``: with esn
    the network's and trainer's flags (but ``--seed``) and ``network_only``, else the
    reservoir's flags and ``--select``; and why (``readout`` says how the ESN is fitted)."""
    if model == "esn":
        unused = {f.name for f in fields(ModelConfig)} | {
            f.name for f in fields(TrainConfig) if f.name != "seed"} | network_only
        return unused, f"--model esn has no network to train ({readout})"
    return ({f.name for f in fields(ReservoirConfig)} | {"select"},
            f"it shapes the echo state network of --model esn, not --model {model}")
