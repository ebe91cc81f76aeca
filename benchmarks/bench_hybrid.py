"""The ES-RNN hybrid on M4 Hourly beside the plain global network, the linear model, seasonal
naive, Naive2 and the competition's published figures, in one table.

Each run is a separate process of the command a user types (so its peak memory is its own):

    rnnkit forecast --data m4-hourly --model hybrid --seed S      (one per --seeds)
    rnnkit forecast --data m4-hourly --seed 0                     (--network: the plain
                                                                   global network, the linear
                                                                   model and the baselines)

Reads each run's metrics.json and per_series.csv: sMAPE, MASE and OWA (means over the 414
series, OWA against Naive2), MSIS and the 95% coverage on the test values, the wall time the
job prints (training and scoring) and its peak memory, and the series the model forecasts
better than seasonal naive (MASE). The published rows are Makridakis et al. (2020), Table 4
and the MSIS table: ES-RNN (Smyl) and the best entry on Hourly.

    python benchmarks/bench_hybrid.py --seeds 0 1 2 --network --out runs/bench-hybrid
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

PUBLISHED = {  # M4 Hourly: sMAPE, MASE, OWA, MSIS (Makridakis et al. 2020)
    "ES-RNN (published)": (9.328, 0.893, 0.440, 7.928),
    "best entry (published)": (8.913, 0.801, 0.410, 6.139),
}


def run(args: list[str], out: Path, threads: int) -> tuple[dict, pd.DataFrame]:
    """One ``rnnkit forecast`` process into ``out``: its metrics and per-series table."""
    command = [sys.executable, "-m", "rnnkit", "forecast", "--data", "m4-hourly", *args,
               "--out", str(out), "--no-progress", "--no-figures"]
    if threads:
        command += ["--threads", str(threads)]
    subprocess.run(command, check=True)
    return (json.loads((out / "metrics.json").read_text()),
            pd.read_csv(out / "per_series.csv"))


def row(name: str, m: dict, seconds=None, memory=None, wins=None) -> dict:
    return {"forecaster": name, "sMAPE": m["smape"], "MASE": m["mase"], "OWA": m["owa"],
            "MSIS": m.get("msis"), "coverage 95%": m.get("coverage_95"), "seconds": seconds,
            "peak MiB": memory, "wins vs snaive": wins}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--network", action="store_true",
                        help="also run the plain global network (rnnkit forecast's default)")
    parser.add_argument("--threads", type=int, default=0, help="0: the job's own policy")
    parser.add_argument("--out", default="runs/bench-hybrid")
    args = parser.parse_args()
    out = Path(args.out)
    rows = []
    for seed in args.seeds:
        metrics, per_series = run(["--model", "hybrid", "--seed", str(seed)],
                                  out / f"hybrid-{seed}", args.threads)
        wins = int((per_series["model_mase"] < per_series["snaive_mase"]).sum())
        rows.append(row(f"hybrid, seed {seed}", metrics["model"], metrics["seconds"],
                        metrics["peak_memory_mib"], wins))
        rows.append(row(f"  its network alone (w = 1), seed {seed}", metrics["network"]))
        print(f"seed {seed}: settings {metrics['hybrid']}", flush=True)
    if args.network:
        metrics, per_series = run(["--seed", "0"], out / "network-0", args.threads)
        wins = int((per_series["model_mase"] < per_series["snaive_mase"]).sum())
        rows.append(row("global network (rnnkit forecast), seed 0", metrics["model"],
                        metrics["seconds"], None, wins))
        rows.append(row("  its network alone", metrics["network"]))
        rows.append(row("linear model", metrics["linear"]))
    rows += [row("seasonal naive", metrics["snaive"]), row("Naive2", metrics["naive2"])]
    rows += [{"forecaster": name, "sMAPE": s, "MASE": q, "OWA": o, "MSIS": i}
             for name, (s, q, o, i) in PUBLISHED.items()]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))


if __name__ == "__main__":
    main()
