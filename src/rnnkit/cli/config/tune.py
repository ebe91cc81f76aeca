"""The job of ``rnnkit tune``: an Optuna study over another command's settings.

``TuneJob`` holds the study's own flags (trials, storage, search-space file, pruning); the tuned
command's job, with its fixed values, rides in its ``job`` field, and that job says what is
searched (its ``search_space()``).
"""

from dataclasses import dataclass, field
from typing import Any

from rnnkit._checks import check_in_range, check_positive_int
from rnnkit._fields import opt
from rnnkit.cli.config.base import Job


@dataclass(frozen=True)
class TuneJob(Job):
    """Search a command's hyperparameters with an Optuna study that any number of workers share.

    Every flag of the tuned command is a fixed value (e.g. --epochs 2); the search space is the
    command's own, changed with --space. Trials are scored on the validation part only (never
    the test part) and pruned from their per-epoch validation loss; run the same command again,
    here or on another machine against one --storage, and the workers share the study.
    """

    trials: int = opt(20, "trials this worker runs (Optuna's n_trials: counted per process)")
    timeout: float = opt(0.0, "seconds after which this worker starts no new trial; 0 = none")
    study_name: str = opt("", "the study's name in the storage; empty = rnnkit-COMMAND")
    storage: str = opt("", "an Optuna storage URL the workers share (sqlite:///study.db, "
                       "postgresql://...); empty = SQLite in OUT/study.db")
    space: str = opt("", "a TOML file that changes the search space: key = {low, high, log}, "
                     "key = [choices], or key = value to fix it")
    pruning: bool = opt(True, "stop a trial whose validation loss after an epoch is worse than "
                        "the median of the earlier trials' at that epoch (Optuna's MedianPruner)")
    out: str = opt("runs/tune", "output folder: best.toml, trials.csv, history.png, "
                   "importance.png (and study.db without --storage)")
    job: Any = field(default=None, metadata={"flag": False})  # the tuned job's fixed values

    def __post_init__(self) -> None:
        check_positive_int("trials", self.trials)
        check_in_range("timeout", self.timeout, 0.0, 1e9)

