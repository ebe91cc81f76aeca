"""The job of ``rnnkit detect``: anomalies in one stream or a corpus of them, online, scored the
way the Numenta Anomaly Benchmark scores when anomaly windows are known."""

from dataclasses import dataclass

from rnnkit._checks import InputError
from rnnkit._fields import opt
from rnnkit.anomaly.detector import DetectorConfig
from rnnkit.cli.config.base import Job, section
from rnnkit.io.datasets import described
from rnnkit.training.runtime import RuntimeConfig

UNSET_THRESHOLD = -1.0  # DetectJob.threshold left to the corpus's optimiser (or 0.5)


@dataclass(frozen=True)
class DetectJob(Job):
    """Score every row of a stream (or of every stream in a folder) for anomalies, online:
    each score reads the rows up to its own only. With anomaly windows, NAB's score report."""

    data: str = opt("nab", f"{described('streams')}, a CSV file (a time column and a value "
                    "column; .gz too) or a folder: every CSV under it, a corpus whose files' "
                    "categories are their folders below it")
    windows: str = opt("", "anomaly windows in NAB's combined_windows.json layout "
                       "({\"category/file.csv\": [[start, end], ...]}); empty = the "
                       "combined_windows.json in --data's folder or its labels/ folder when "
                       "there is one, else the data is unlabelled (scores and figures, no report)")
    threshold: float = opt(UNSET_THRESHOLD, "anomaly score from which a row is a detection; "
                           "-1 = with windows the standard profile's threshold optimised over "
                           "the corpus (NAB's optimiser), without them 0.5 (a tail probability "
                           "of 10^-5)")
    date_column: str = opt("", "time column of the files; empty = detect it", group="data")
    target: str = opt("", "value column; empty = the only numeric column", group="data")
    sep: str = opt("", "field separator; empty = detect it (, ; tab |)", group="data")
    decimal: str = opt("", "decimal mark; empty = detect it ('.' or ',')", group="data")
    dayfirst: bool = opt(False, "read dates such as 03.04.2022 day first (3 April)",
                         group="data")
    date_format: str = opt("", "the dates' format in strftime codes; empty = detect it",
                           group="data")
    out: str = opt("runs/detect", "output folder: results/rnnkit/<category>/rnnkit_<file>.csv "
                   "(NAB's results layout), detections.csv, plots/, and with windows "
                   "report.csv and metrics.json")
    figures: bool = opt(True, "draw a figure per file (plots/<category>/<file>.png)")
    progress: bool = opt(True, "show a progress bar over the files")
    detector: DetectorConfig = section(DetectorConfig())
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        if self.threshold != UNSET_THRESHOLD and not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"threshold must be in [0, 1] (or -1: optimised), got "
                             f"{self.threshold}")


__all__ = ["UNSET_THRESHOLD", "DetectJob"]
