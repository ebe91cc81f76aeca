"""Global models: `rnnkit forecast` over many series, on M4 Hourly and on the S&P 500 file.

Each run is the command line itself, in a child process (so that its peak resident memory can
be read), one after the other:

    m4           `rnnkit forecast --data m4-hourly --seed S` for each seed: sMAPE, MASE, OWA and
                 wall time beside the benchmarks rnnkit computes (equal to the published table)
    ablation     the ideas measured on the way to the defaults, seed 0 (see README)
    local        the global model with the local benchmark's settings (lookback 168, MSE, one
                 model), to compare per series with benchmarks/bench_any_series.py's local runs:
                 with --local-results (that script's --out JSON) it is scored on their sample
    sp500        the S&P 500 five-year file as one global model: peak memory (the largest
                 child so far: run it alone, --only sp500, for its own), mean MASE and the
                 Diebold-Mariano verdicts series by series

Every child gets ``--threads`` (default 2), so no run falls back on the thread policy's own
choice; one untimed child (`rnnkit forecast --epochs 1` on the bundled AAPL file) runs first,
so that the first timed run does not pay for cold imports and caches. The runs are one-sided
(each is scored against the baselines of its own run), so there is no order to alternate; the
`local` run's settings are checked against LOCAL, those of bench_any_series.py's per-series
runs that it is compared with (which checks its own side against the same LOCAL).

    python benchmarks/bench_global.py --seeds 0 1 2 --sp500 all_stocks_5yr.csv --out runs/global \
        --local-results runs/any_series.json
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from _common import same_work

from rnnkit.cli.config import AUTO_EPOCHS

# the per-series (local) runs of bench_any_series.py's m4 part: the global `local` run uses the
# same cell size, lookback, loss, ensemble and epoch budget (the default: AUTO_EPOCHS epochs)
LOCAL = {"hidden_size": 32, "lookback": 168, "loss": "mse", "ensemble": 1, "epochs": AUTO_EPOCHS}

ABLATION = {  # flags on top of the defaults, each run once with seed 0
    "lookback 60, MSE loss, one model": ["--lookback", "60", "--loss", "mse", "--ensemble", "1"],
    "lookback 168, MSE, one model": ["--lookback", "168", "--loss", "mse", "--ensemble", "1"],
    "lookback 60, MAE loss, one model": ["--lookback", "60", "--loss", "mae", "--ensemble", "1"],
    "lookback 168, MAE loss, one model": ["--ensemble", "1"],
}


def settings(config: dict) -> dict:
    """The settings LOCAL names, from a run's metrics.json config (the resolved job)."""
    return {"hidden_size": config["network"]["hidden_size"], "lookback": config["lookback"],
            "loss": config["loss"], "ensemble": config["ensemble"],
            "epochs": config["train"]["epochs"]}


def forecast(flags: list[str], out: Path, threads: int) -> dict:
    """Run `rnnkit forecast FLAGS --out OUT`; its metrics, wall time and peak memory (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnnkit", "forecast", *flags, "--threads",
                    str(threads), "--no-progress", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    metrics = json.loads((out / "metrics.json").read_text())
    row = {"seconds": seconds, "peak_mib": peak / 1024 if peak > before else None,
           "settings": settings(metrics["config"]), "threads": threads}
    for who in ("model", "naive", "snaive", "naive2"):
        if who in metrics:
            row[who] = {k: metrics[who].get(k) for k in ("smape", "mase", "owa")}
    row["verdicts"] = metrics["significance"]  # per baseline: how many series got each verdict
    memory = f", peak {row['peak_mib']:.0f} MiB" if row["peak_mib"] else ""
    print(f"{' '.join(flags)}: " + ", ".join(
        f"{who} sMAPE {row[who]['smape']:.3f} MASE {row[who]['mase']:.3f}"
        + (f" OWA {row[who]['owa']:.3f}" if row[who].get("owa") is not None else "")
        for who in ("model", "naive", "naive2", "snaive") if who in row)
        + f"; {seconds:.0f} s{memory}", flush=True)
    for baseline, counts in row["verdicts"].items():
        print(f"  against {baseline}, series by series (Diebold-Mariano, 5%): "
              + ", ".join(f"{verdict} {count}" for verdict, count in counts.items()), flush=True)
    return row


def against_local(run: Path, local_results: Path) -> dict:
    """The global run in ``run`` scored on the series of bench_any_series.py's m4 sample (its
    --out JSON): mean sMAPE and MASE of both and of seasonal naive, and on how many series the
    global model's error is the lower one."""
    local = pd.DataFrame(json.loads(local_results.read_text())["m4"]["sample"])
    per_series = pd.read_csv(run / "per_series.csv")
    glob = per_series.rename(columns={per_series.columns[0]: "series"}).set_index("series")
    missing = sorted(set(local["series"]) - set(glob.index))
    if missing:
        raise SystemExit(f"{run / 'per_series.csv'} has no row for {', '.join(missing[:5])}")
    glob = glob.loc[local["series"]]
    result = {"series": len(local)}
    for key in ("smape", "mase"):
        result[key] = {"local": float(local[f"model_{key}"].mean()),
                       "global": float(glob[f"model_{key}"].mean()),
                       "snaive": float(glob[f"snaive_{key}"].mean())}
        result[f"global_better_by_{key}"] = int(
            (glob[f"model_{key}"].to_numpy() < local[f"model_{key}"].to_numpy()).sum())
    print(f"global against local, the {len(local)} sampled series: " + "; ".join(
        f"{who} sMAPE {result['smape'][who]:.3f} / MASE {result['mase'][who]:.3f}"
        for who in ("local", "global", "snaive"))
        + f"; the global model is better on {result['global_better_by_smape']} of {len(local)}"
        f" by sMAPE, {result['global_better_by_mase']} by MASE", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--only", nargs="*", default=["m4", "ablation", "local", "sp500"])
    parser.add_argument("--sp500", help="the S&P 500 five-year file (date, ..., close, Name)")
    parser.add_argument("--local-results", type=Path,
                        help="bench_any_series.py's --out JSON: score the `local` run on its "
                             "m4 sample beside those per-series runs")
    parser.add_argument("--threads", type=int, default=2, help="--threads of every run")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                        help="flags added to every run (e.g. --epochs 1 for a smoke test)")
    parser.add_argument("--out", default="runs/global", help="folder for the runs and JSON")
    args = parser.parse_args()
    out = Path(args.out)
    threads = args.threads
    subprocess.run([sys.executable, "-m", "rnnkit", "forecast", "--epochs", "1", "--threads",
                    str(threads), "--no-progress", "--out", str(out / "warmup")], check=True,
                   stdout=subprocess.DEVNULL)  # warm-up, untimed
    results = {}
    if "m4" in args.only:
        results["m4"] = {seed: forecast(["--data", "m4-hourly", "--seed", str(seed),
                                         *args.extra], out / f"m4-seed{seed}", threads)
                         for seed in args.seeds}
    if "ablation" in args.only:
        results["ablation"] = {name: forecast(["--data", "m4-hourly", *flags, *args.extra],
                                              out / "ablation", threads)
                               for name, flags in ABLATION.items()}
    if "local" in args.only:
        results["local"] = forecast(["--data", "m4-hourly", *ABLATION[
            "lookback 168, MSE, one model"], *args.extra], out / "global-like-local", threads)
        if not args.extra:
            same_work("the settings of the global-against-local comparison",
                      global_run=results["local"]["settings"], local_runs=LOCAL)
        if args.local_results:
            results["against_local"] = against_local(out / "global-like-local",
                                                     args.local_results)
    if "sp500" in args.only and args.sp500:
        results["sp500"] = forecast(["--data", args.sp500, "--id-column", "Name", "--target",
                                     "close", *args.extra], out / "sp500", threads)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_global.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
