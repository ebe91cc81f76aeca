"""rnnkit's anomaly detector on the three bundled NAB files beside NAB's published detectors,
and its speed on a corpus as large as NAB's.

1. ``rnnkit detect --data nab`` (the command a user types, its own process): each profile's
   normalised score over the three files at the threshold optimised over them, and each file's
   standard score. Beside it, NAB's published per-row results of the HTM detector ("numenta")
   and windowedGaussian on the same files (tests/data/nab), scored by the same code two ways:
   at the thresholds NAB chose for them over its whole corpus (their published per-file
   scores, summed), and at the threshold optimised over these three files, as rnnkit's is.
2. ``--timing``: a synthetic corpus of 58 labelled streams with NAB's 365,551 rows in all
   (lengths spread like NAB's, 1,000 .. 22,000 rows), scored by ``rnnkit detect``: the wall
   time the job prints.

    python benchmarks/bench_detect.py --out runs/bench-detect --timing
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.anomaly import PROFILES, LabelledScores, score_report
from rnnkit.anomaly.report import comparable_times, read_windows
from rnnkit.anomaly.synthetic import KINDS, synthetic_stream
from rnnkit.io.datasets import bundled

PUBLISHED = Path(__file__).resolve().parents[1] / "tests" / "data" / "nab"
NAB_ROWS, NAB_FILES = 365_551, 58


def detect(data: str, out: Path, *extra: str) -> tuple[dict, float]:
    """One ``rnnkit detect`` process: its metrics and its wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnnkit", "detect", "--data", data, "--out", str(out),
                    "--no-progress", *extra], check=True)
    return json.loads((out / "metrics.json").read_text()), time.perf_counter() - started


def published(detector: str, keys: list[str], windows: dict) -> dict[str, pd.DataFrame]:
    """NAB's per-row scores of ``detector`` scored at its corpus thresholds and at the
    thresholds optimised over these files: {protocol: report.corpus}."""
    files = []
    for key in keys:
        category, name = key.split("/")
        rows = pd.read_csv(PUBLISHED / detector / category / f"{detector}_{name}.gz")
        times = comparable_times(pd.DatetimeIndex(pd.to_datetime(rows["timestamp"])))
        files.append(LabelledScores(key, times, rows["anomaly_score"].to_numpy(), windows[key]))
    thresholds = {p: float(pd.read_csv(PUBLISHED / detector / f"{detector}_{p}_scores.csv")
                           ["Threshold"].iloc[0]) for p in PROFILES}
    return {"NAB's corpus threshold": score_report(files, thresholds),
            "optimised on these files": score_report(files)}


def comparison(out: Path) -> None:
    metrics, seconds = detect("nab", out)
    ours = pd.read_csv(out / "report.csv")
    keys = sorted(ours["file"].unique())
    with bundled("nab").path() as folder:
        windows = read_windows(folder / "combined_windows.json", keys)
    rows = [{"detector": "rnnkit", "threshold from": "optimised on these files",
             **{p: round(metrics["profiles"][p]["normalised"], 1) for p in PROFILES},
             **{k.split("/")[1][:-4]: round(float(ours[(ours["file"] == k) & (
                 ours["profile"] == "standard")]["score"].iloc[0]), 3) for k in keys}}]
    for detector in ("numenta", "windowedGaussian"):
        for protocol, report in published(detector, keys, windows).items():
            files = report.files[report.files["profile"] == "standard"].set_index("file")
            rows.append({"detector": detector, "threshold from": protocol,
                         **{p: round(report.corpus.loc[p, "normalised"], 1) for p in PROFILES},
                         **{k.split("/")[1][:-4]: round(files.loc[k, "score"], 3)
                            for k in keys}})
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"rnnkit: {metrics['rows']:,} rows in {metrics['seconds']:.1f} s of scoring "
          f"({seconds:.1f} s for the whole process)")


def timing(out: Path) -> None:
    """58 synthetic streams, NAB's row count in all, scored by one ``rnnkit detect``."""
    corpus = out / "corpus"
    lengths = np.geomspace(1_000, 22_000, NAB_FILES)
    lengths = np.round(lengths * NAB_ROWS / lengths.sum()).astype(int)
    lengths[-1] += NAB_ROWS - lengths.sum()
    windows = {}
    for k, rows in enumerate(lengths):
        kind = KINDS[k % len(KINDS)]
        stream = synthetic_stream(kind, rows=int(rows), anomalies=2, seed=1000 + k)
        key = f"{kind}/stream_{k:02d}.csv"
        (corpus / kind).mkdir(parents=True, exist_ok=True)
        stream.frame.to_csv(corpus / key, index=False)
        windows[key] = [list(w) for w in stream.windows]
    (corpus / "combined_windows.json").write_text(json.dumps(windows))
    metrics, seconds = detect(str(corpus), out / "run", "--no-figures")
    print(f"{metrics['files']} files, {metrics['rows']:,} rows: {metrics['seconds']:.0f} s of "
          f"scoring, {seconds:.0f} s for the whole process; standard profile "
          f"{metrics['profiles']['standard']['normalised']:.1f} on this synthetic corpus")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/bench-detect", help="output folder")
    parser.add_argument("--timing", action="store_true",
                        help="also time a synthetic corpus of NAB's size")
    args = parser.parse_args()
    out = Path(args.out)
    comparison(out / "nab")
    if args.timing:
        timing(out / "timing")


if __name__ == "__main__":
    main()
