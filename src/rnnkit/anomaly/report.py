"""A corpus's NAB score report: every profile, its threshold, each file's score and counts.

For each profile (:data:`~rnnkit.anomaly.nab.PROFILES`) the threshold is the one given, or
the one that maximises the corpus's summed score (:func:`~rnnkit.anomaly.nab.best_threshold`,
NAB's optimiser); the corpus's normalised score is 100 (S - S_null) / (S_perfect - S_null)
over the windows of all its files. pandas in, pandas out. The windows come from a file in
NAB's ``combined_windows.json`` layout (:func:`read_windows`), matched to a file's rows by
time (:func:`comparable_times`: NAB writes '2014-01-01 00:00:00.000000' for the row written
'2014-01-01 00:00:00').
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.anomaly.nab import (
    PROFILES,
    best_threshold,
    normalised,
    row_values,
    score_file,
    window_count,
)


def comparable_times(time: pd.Index) -> list[str]:
    """Times as comparable text (microseconds always written), so a window's
    '2014-01-01 00:00:00.000000' names the row written '2014-01-01 00:00:00'."""
    if isinstance(time, pd.DatetimeIndex):
        return [("NaT" if t is pd.NaT else t.strftime("%Y-%m-%d %H:%M:%S.%f")) for t in time]
    return [str(t) for t in time]


def read_windows(path: str | Path | None, keys: list[str]
                 ) -> dict[str, list[tuple[str, str]]] | None:
    """The anomaly windows of every file of ``keys`` from NAB's ``combined_windows.json``
    layout; None without a file. A file with no entry is an error (one line)."""
    if not path:
        return None
    try:
        table = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"`windows`: {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"`windows`: {path} is not a JSON file ({err})") from None
    if not isinstance(table, dict):
        raise InputError(f"`windows`: {path} must hold an object {{\"category/file.csv\": "
                         "[[start, end], ...]}")
    missing = [key for key in keys if key not in table]
    if missing:
        raise InputError(f"`windows`: {path} has no entry for {missing[0]} ({len(missing)} "
                         f"of the {len(keys)} files have none; an unlabelled file needs [])")
    windows = {}
    for key in keys:
        entry = table[key]
        if not isinstance(entry, list) or not all(
                isinstance(w, list) and len(w) == 2 and all(isinstance(s, str) for s in w)
                for w in entry):
            raise InputError(f"`windows`: {path}: the entry of {key} must be a list of "
                             "[start, end] timestamp pairs")
        times = [comparable_times(pd.to_datetime(pd.Index(w), errors="coerce"))
                 for w in entry]
        bad = [w for w, stamps in zip(entry, times, strict=True) if "NaT" in stamps]
        if bad:
            raise InputError(f"`windows`: {path}: the window {bad[0]} of {key} is not a pair "
                             "of times")
        windows[key] = [tuple(stamps) for stamps in times]
    return windows


@dataclass(frozen=True)
class LabelledScores:
    """One file's anomaly scores (``scores``, one per row), its timestamps as written, and
    its anomaly windows [(start, end)]; ``name`` as NAB keys it (category/file.csv)."""

    name: str
    timestamps: list[str]
    scores: np.ndarray
    windows: list[tuple[str, str]]


@dataclass(frozen=True)
class ScoreReport:
    """``corpus``: a row per profile (threshold, score, null, perfect, normalised);
    ``files``: a row per profile and file (threshold, score, tp, tn, fp, fn, total rows)."""

    corpus: pd.DataFrame
    files: pd.DataFrame


def score_report(files: list[LabelledScores], thresholds: dict[str, float] | None = None,
                 profiles: tuple[str, ...] = tuple(PROFILES)) -> ScoreReport:
    """The report of ``files`` under each profile, at ``thresholds[profile]`` where given,
    else at the corpus's best threshold (module docstring).

    >>> stamps = [str(t) for t in range(20)]
    >>> a = np.zeros(20); a[15] = 0.9
    >>> report = score_report([LabelledScores("f.csv", stamps, a, [("15", "17")])])
    >>> report.corpus.loc["standard", ["threshold", "score", "normalised"]].tolist()
    [0.9, 1.0, 100.0]
    """
    corpus, rows = [], []
    for profile in profiles:
        costs = PROFILES[profile]
        values = [row_values(f.timestamps, f.windows, costs, f.name) for f in files]
        pairs = [(f.scores, v) for f, v in zip(files, values, strict=True)]
        given = (thresholds or {}).get(profile)
        threshold = best_threshold(pairs, costs)[0] if given is None else float(given)
        total, windows = 0.0, 0
        for f, v in zip(files, values, strict=True):
            score = score_file(f.scores, v, costs, threshold)
            total += score.score
            windows += window_count(v)
            rows.append({"profile": profile, "file": f.name, "threshold": threshold,
                         "score": score.score, "tp": score.tp, "tn": score.tn, "fp": score.fp,
                         "fn": score.fn, "total": score.total})
        corpus.append({"profile": profile, "threshold": threshold, "score": total,
                       "null": -costs.fn * windows, "perfect": costs.tp * windows,
                       "normalised": normalised(total, windows, costs) if windows else np.nan})
    return ScoreReport(pd.DataFrame(corpus).set_index("profile"), pd.DataFrame(rows))


__all__ = ["LabelledScores", "ScoreReport", "comparable_times", "read_windows", "score_report"]
