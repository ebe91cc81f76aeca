"""``rnnkit detect``: score every row of a stream, or of a corpus of streams, for anomalies.

Each file is read as it arrived (:func:`rnnkit.io.streams.read_stream`) and scored online by a
:class:`~rnnkit.anomaly.detector.StreamDetector` of its own. Writes into ``job.out``:
``results/rnnkit/<category>/rnnkit_<file>.csv`` (timestamp, value, anomaly_score: NAB's
results layout, so NAB's own scorer reads it), ``detections.csv`` (the rows at or above the
threshold), ``plots/<category>/<file>.png``, and with anomaly windows ``report.csv`` (every
profile's per-file score and counts) and ``metrics.json``.
"""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError
from rnnkit.anomaly.detector import StreamDetector
from rnnkit.anomaly.nab import PROFILES
from rnnkit.anomaly.report import LabelledScores, comparable_times, read_windows, score_report
from rnnkit.cli.config import UNSET_THRESHOLD, DetectJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import JobResult, optional_outputs, start_runtime
from rnnkit.io.datasets import data_path
from rnnkit.io.files import prepare_out, write_json_atomic, write_text_atomic
from rnnkit.io.streams import Stream, read_stream

WINDOWS_FILE = "combined_windows.json"
PRINTED_FILES = 10  # more files: their scores are in report.csv only
UNLABELLED_THRESHOLD = 0.5  # a tail probability of 10^-5 (rnnkit.anomaly.detector.log_score)


@dataclass(frozen=True)
class ScoredFile:
    """One file's stream, its NAB key (category/file.csv), its times as comparable text
    (:func:`~rnnkit.anomaly.report.comparable_times`), its scores and its detector."""

    key: str
    stream: Stream
    times: list[str]
    scores: np.ndarray
    detector: StreamDetector


def run(job: DetectJob) -> JobResult:
    start_runtime(job.runtime)
    with data_path(job.data, "streams") as data:
        return _run(job, data)


def _run(job: DetectJob, data: Path) -> JobResult:
    files = corpus_files(data)
    windows = read_windows(job.windows or _windows_beside(data), [key for key, _ in files])
    out = prepare_out(job.out)
    started = time.perf_counter()
    scored = [_score(job, key, path, out) for key, path in _progress(files, job.progress)]
    seconds = time.perf_counter() - started
    report = None
    if windows is not None:
        given = None if job.threshold == UNSET_THRESHOLD else dict.fromkeys(PROFILES,
                                                                            job.threshold)
        report = score_report([LabelledScores(f.key, f.times, f.scores,
                                              windows[f.key]) for f in scored], given)
        threshold = float(report.corpus.loc["standard", "threshold"])
    else:
        threshold = (UNLABELLED_THRESHOLD if job.threshold == UNSET_THRESHOLD
                     else job.threshold)
    detections = _detections(scored, threshold, windows)
    metrics = {"files": len(scored), "rows": sum(len(f.scores) for f in scored),
               "seconds": round(seconds, 2), "threshold": threshold,
               "detections": len(detections),
               "per_file": {f.key: {"rows": len(f.scores), "season": f.detector.season_,
                                    "probation": f.detector.probation_} for f in scored},
               "config": job_record(job)}
    write_text_atomic(out / "detections.csv", detections.to_csv(index=False))
    written = [f"results/rnnkit/ ({_files(len(scored))})", "detections.csv"]
    if report is not None:
        metrics["profiles"] = report.corpus.to_dict(orient="index")
        write_text_atomic(out / "report.csv", report.files.to_csv(index=False))
        write_json_atomic(out / "metrics.json", metrics)
        written += ["report.csv", "metrics.json"]
    result = JobResult(metrics, _summary(metrics, report, job), out, written)
    if job.figures:
        optional_outputs(result, {"plots/": lambda: _plots(scored, windows, threshold, out)})
    return result


def corpus_files(data: Path) -> list[tuple[str, Path]]:
    """(NAB key, path) of the CSV file ``data``, or of every CSV under the folder ``data``:
    the key is the file's path below the folder (``category/file.csv``; ``.gz`` dropped), a
    lone file's its folder's name and its own."""
    if data.is_file():
        return [(_key(Path(data.parent.name) / data.name), data)]
    if not data.is_dir():
        raise InputError(f"`data`: {data}: no such file or folder")
    found = sorted(p for p in data.rglob("*") if p.is_file() and
                   p.name.lower().endswith((".csv", ".csv.gz")))
    if not found:
        raise InputError(f"`data`: the folder {data} holds no CSV file")
    return [(_key(p.relative_to(data)), p) for p in found]


def _key(relative: Path) -> str:
    name = relative.as_posix()
    return name[:-3] if name.lower().endswith(".gz") else name


def _windows_beside(data: Path) -> Path | None:
    """The combined_windows.json of a corpus folder (or its labels/ folder), or of the corpus a
    lone file belongs to (its category folder's parent)."""
    roots = [data] if data.is_dir() else [data.parent.parent, data.parent]
    for root in roots:
        for candidate in (root / WINDOWS_FILE, root / "labels" / WINDOWS_FILE):
            if candidate.is_file():
                return candidate
    return None


def _progress(files: list, enabled: bool):
    import sys

    from tqdm import tqdm

    return tqdm(files, unit="file", disable=not (enabled and sys.stderr.isatty()),
                file=sys.stderr, dynamic_ncols=True)


def _score(job: DetectJob, key: str, path: Path, out: Path) -> ScoredFile:
    """Read one file, score it, and write its NAB results file at once."""
    stream = read_stream(path, job.target, date_column=job.date_column, sep=job.sep or None,
                         decimal=job.decimal or None, dayfirst=job.dayfirst,
                         date_format=job.date_format)
    detector = StreamDetector(**asdict(job.detector)).fit(stream.values)
    category, name = key.rpartition("/")[0], key.rpartition("/")[2]
    results = pd.DataFrame({"timestamp": stream.timestamps, "value": stream.values,
                            "anomaly_score": detector.anomaly_score_})
    write_text_atomic(out / "results" / "rnnkit" / category / f"rnnkit_{name}",
                      results.to_csv(index=False))
    return ScoredFile(key, stream, comparable_times(stream.time), detector.anomaly_score_,
                      detector)


def _detections(scored: list[ScoredFile], threshold: float,
                windows: dict | None) -> pd.DataFrame:
    frames = []
    for f in scored:
        rows = np.flatnonzero(f.scores >= threshold)
        frame = pd.DataFrame({"file": f.key, "timestamp": np.asarray(f.stream.timestamps)[rows],
                              "value": f.stream.values[rows], "anomaly_score": f.scores[rows]})
        if windows is not None:
            inside = np.zeros(len(f.scores), dtype=bool)
            for first, last in _window_rows(f, windows[f.key]):
                inside[first: last + 1] = True
            frame["in_window"] = inside[rows]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _window_rows(f: ScoredFile, windows: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """Each window's first and last row (the first row of its start and end times)."""
    first = {}
    for row, stamp in enumerate(f.times):
        first.setdefault(stamp, row)
    return [(first[a], first[b]) for a, b in windows if a in first and b in first]


def _plots(scored: list[ScoredFile], windows: dict | None, threshold: float,
           out: Path) -> None:
    from rnnkit.io.plots import plot_stream

    for f in scored:
        rows = [] if windows is None else _window_rows(f, windows[f.key])
        stem = f.key[:-4] if f.key.lower().endswith(".csv") else f.key
        plot_stream(out / "plots" / f"{stem}.png", f.stream.time, f.stream.values, f.scores,
                    threshold, f"{f.key}: season {f.detector.season_ or 'none'}", rows,
                    f.detector.probation_)


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"


def _summary(metrics: dict, report, job: DetectJob) -> list[str]:
    rows, seconds = metrics["rows"], metrics["seconds"]
    lines = [f"{_files(metrics['files'])}, {rows:,} rows scored in {seconds:.1f} s "
             f"({1e3 * seconds / max(rows, 1):.2f} ms per row)"]
    how = ("given" if job.threshold != UNSET_THRESHOLD else
           "optimised over the corpus, standard profile" if report is not None else
           "the default for unlabelled data")
    lines.append(f"threshold {metrics['threshold']:.4g} ({how}): {metrics['detections']} "
                 "detections")
    if report is not None:
        lines.append("NAB score, normalised (null detector 0, perfect 100):")
        for profile, row in report.corpus.iterrows():
            lines.append(f"  {profile:<20} {row['normalised']:6.1f}   (raw {row['score']:.2f}, "
                         f"threshold {row['threshold']:.4g})")
        standard = report.files[report.files["profile"] == "standard"]
        if len(standard) > PRINTED_FILES:
            return [*lines, f"  per file: report.csv ({len(standard)} files)"]
        for _, row in standard.iterrows():
            lines.append(f"  {row['file']}: {row['score']:.3f} (TP rows {row['tp']}, FP rows "
                         f"{row['fp']}, FN rows {row['fn']})")
    return lines
