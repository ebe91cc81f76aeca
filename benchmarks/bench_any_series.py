"""`rnnkit forecast`'s defaults on series of other kinds than a stock price, beside the baselines.

Every run is the default single-series Forecaster of `rnnkit forecast` (the encoding chosen from
the data, the default training budget), scored on data it never saw:

    aapl         the bundled AAPL Close, the tutorial's split (must stay within noise of naive)
    m4           M4 Hourly series one at a time: train on a series' 700 or 960 values, forecast
                 its next 48 (the competition's test values); mean sMAPE and MASE (m = 24) over
                 the sample beside naive and seasonal naive, and those baselines over all 414
                 series beside the competition's published figures
    m4-rolling   M4 Hourly series of 1008 values backtested with rolling origins over their
                 last 20% (H = 48), with the Diebold-Mariano verdicts, several seeds
    nab          NAB series at a horizon of one day, several seeds, with the Diebold-Mariano
                 verdict against naive and seasonal naive: NYC taxi demand (30 min, H = 48),
                 a machine's temperature resampled to hourly means (H = 24), that temperature
                 minus its training mean (negative values) and the taxi demand minus its
                 minimum (zeros)
    timing       wall time of one default run on the first 15,000 rows of the temperature,
                 its skill over naive and its verdict against naive

The data files are public (M4: Mcompetitions/M4-methods, Dataset/{Train,Test}/Hourly-*.csv;
NAB: numenta/NAB, data/realKnownCause/*.csv) and passed by path:

Threads (torch and BLAS) are pinned to ``--threads``, and one untimed fit runs before anything
is timed. The per-series M4 runs are compared in the README with bench_global.py's `local`
run: their settings are checked against its LOCAL (cell size, lookback, loss, ensemble, epochs).

    python benchmarks/bench_any_series.py --m4 Hourly-train.csv Hourly-test.csv --m4-series 50 \\
        --taxi nyc_taxi.csv --temperature machine_temperature_system_failure.csv --seeds 3
"""

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
from _common import pin_threads, same_work
from bench_global import LOCAL

from rnnkit.cli.config import DataConfig, ForecastJob
from rnnkit.cli.jobs.forecast import build_forecaster, checked_forecaster, fit_selected
from rnnkit.forecast.backtesting import backtest
from rnnkit.forecast.metrics import (
    forecast_metrics,
    mase_scale,
    naive_forecast,
    seasonal_naive_forecast,
)
from rnnkit.io import load_aapl, load_series

M4_PUBLISHED = {"naive": (43.003, 11.608), "snaive": (13.912, 1.193)}  # sMAPE, MASE


def _job(target: str, seed: int, **flags) -> ForecastJob:
    job = ForecastJob(source=DataConfig(target=target), **flags)
    return replace(job, train=replace(job.train, seed=seed))


def _run(frame: pd.DataFrame, job: ForecastJob, test_fraction: float) -> dict:
    started = time.perf_counter()
    job = replace(job, test_fraction=test_fraction)
    fitted, _ = fit_selected(job, checked_forecaster(job, frame, {"test_size": 0}), frame)
    result = backtest(fitted, frame, test_fraction, refit=False)
    m = result.metrics
    return {"seconds": time.perf_counter() - started, "encoding": result.forecaster.encoding_,
            **{who: m[who] for who in ("model", "naive", "snaive", "drift")},
            "significance": m["significance"], "season": m["season"], "skill": m["skill"]}


def _verdicts(r: dict) -> dict:
    """The MSEs of the model and the baselines, and the verdicts against them."""
    sig = r["significance"]
    return {"mse": r["model"]["mse"], "naive_mse": r["naive"]["mse"],
            "snaive_mse": r["snaive"]["mse"], "vs_naive": sig["naive"]["verdict"],
            "p_naive": sig["naive"]["p_value"], "vs_snaive": sig["snaive"]["verdict"],
            "p_snaive": sig["snaive"]["p_value"], "seconds": r["seconds"]}


def _said(x: dict) -> str:
    return (f"MSE model {x['mse']:.4g}, naive {x['naive_mse']:.4g}, snaive {x['snaive_mse']:.4g};"
            f" {x['vs_naive']} naive (p {x['p_naive']:.2g}), {x['vs_snaive']} snaive "
            f"(p {x['p_snaive']:.2g}); {x['seconds']:.0f} s")


def aapl(seeds: int) -> list[dict]:
    frame = load_aapl()[["Close"]]
    rows = []
    for seed in range(seeds):
        r = _run(frame, _job("Close", seed), 0.2)
        rows.append({"seed": seed, "mae": r["model"]["mae"], "naive_mae": r["naive"]["mae"],
                     "p_naive": r["significance"]["naive"]["p_value"],
                     "verdict": r["significance"]["naive"]["verdict"], "seconds": r["seconds"]})
        print(f"aapl seed {seed}: MAE {rows[-1]['mae']:.4f} (naive {rows[-1]['naive_mae']:.4f}),"
              f" {rows[-1]['verdict']} naive (p = {rows[-1]['p_naive']:.3f}), "
              f"{r['seconds']:.1f} s")
    return rows


def _m4_series(train_path: str, test_path: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    train = pd.read_csv(train_path, index_col=0)
    test = pd.read_csv(test_path, index_col=0)
    return [(name, train.loc[name].dropna().to_numpy(float), test.loc[name].to_numpy(float))
            for name in train.index]


def local_settings(job: ForecastJob) -> dict:
    """What bench_global.LOCAL names, for the Forecaster this job builds (one series)."""
    f = build_forecaster(job)
    return {"hidden_size": f.model.network.hidden_size, "lookback": f.lookback,
            "loss": f.model.loss, "ensemble": f.ensemble, "epochs": job.train.epochs}


def m4(train_path: str, test_path: str, sample: int, lookback: int) -> dict:
    series = _m4_series(train_path, test_path)
    if lookback == LOCAL["lookback"]:  # the side of the README's global-against-local rows
        same_work("the settings of the global-against-local comparison", local_runs=
                  local_settings(_job("value", 0, lookback=lookback, horizon=48, season=24,
                                      loss="mse")),
                  global_run=LOCAL)
    baselines = {"naive": [], "snaive": []}
    for _, history, future in series:  # every series: the published table's population
        scale = mase_scale(history, 24)
        last = history[-1:]
        origin = np.array([len(history) - 1])
        for who, forecast in (("naive", naive_forecast(last, 48)),
                              ("snaive", seasonal_naive_forecast(history, origin, 48, 24))):
            m = forecast_metrics(future[None], forecast, last, scale)
            baselines[who].append((m["smape"], m["mase"]))
    everyone = {who: tuple(float(np.mean(col)) for col in zip(*rows, strict=True))
                for who, rows in baselines.items()}
    for who, (smape, mase) in everyone.items():
        print(f"m4 all 414, {who}: sMAPE {smape:.3f} MASE {mase:.3f} (published "
              f"{M4_PUBLISHED[who][0]:.3f} / {M4_PUBLISHED[who][1]:.3f})")
    rng = np.random.default_rng(0)
    chosen = sorted(rng.choice(len(series), size=sample, replace=False))
    rows = []
    for k in chosen:
        name, history, future = series[k]
        values = np.concatenate([history, future])
        frame = pd.DataFrame({"value": values}, index=pd.RangeIndex(len(values), name="step"))
        r = _run(frame, _job("value", 0, lookback=lookback, horizon=48, season=24, loss="mse"),
                 48 / len(values))
        rows.append({"series": name, **{f"{who}_{key}": r[who][key]
                                        for who in ("model", "naive", "snaive")
                                        for key in ("smape", "mase")}, "seconds": r["seconds"]})
        print(f"m4 {name}: sMAPE model {rows[-1]['model_smape']:.2f} snaive "
              f"{rows[-1]['snaive_smape']:.2f} naive {rows[-1]['naive_smape']:.2f}; MASE model "
              f"{rows[-1]['model_mase']:.3f} snaive {rows[-1]['snaive_mase']:.3f} "
              f"({r['seconds']:.1f} s)")
    means = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if key != "series"}
    print("m4 sample of", sample, "means:", json.dumps({k: round(v, 3) for k, v in
                                                         means.items()}))
    print("m4 sample: the model beats seasonal naive on " + ", ".join(
        f"{sum(r[f'model_{key}'] < r[f'snaive_{key}'] for r in rows)} of {len(rows)} by {key}"
        for key in ("smape", "mase")))
    return {"all_414": everyone, "published": M4_PUBLISHED, "sample": rows, "sample_means": means}


def m4_rolling(train_path: str, test_path: str, count: int, seeds: int, lookback: int
               ) -> list[dict]:
    """The first ``count`` M4 Hourly series of 1008 values, each backtested with rolling
    origins over its last 20% (about 150 origins of H = 48), so that a test has power."""
    series = [s for s in _m4_series(train_path, test_path) if len(s[1]) == 960][:count]
    rows = []
    for name, history, future in series:
        values = np.concatenate([history, future])
        frame = pd.DataFrame({"value": values}, index=pd.RangeIndex(len(values), name="step"))
        for seed in range(seeds):
            r = _run(frame, _job("value", seed, lookback=lookback, horizon=48, season=24), 0.2)
            rows.append({"series": name, "seed": seed, **_verdicts(r)})
            print(f"m4 rolling {name} seed {seed}: {_said(rows[-1])}")
    both = sum(r["vs_naive"] == r["vs_snaive"] == "beats" for r in rows)
    print(f"m4 rolling: beats both at 5% in {both} of {len(rows)} runs; {verdicts_said(rows)}")
    return rows


def verdicts_said(rows: list[dict]) -> str:
    """How many runs got each verdict against each baseline, the series that lost, and the
    median of the model's MSE over seasonal naive's."""
    said = []
    for who in ("naive", "snaive"):
        counts = Counter(r[f"vs_{who}"] for r in rows)
        lost = sorted({r["series"] for r in rows if r[f"vs_{who}"] == "loses to"})
        said.append(f"against {who}: " + ", ".join(f"{v} {n}" for v, n in counts.items())
                    + (f" (lost: {', '.join(lost)})" if lost else ""))
    ratio = statistics.median(r["mse"] / r["snaive_mse"] for r in rows)
    return "; ".join(said) + f"; median MSE / seasonal naive's {ratio:.2f}"


def nab_frames(taxi: str, temperature: str) -> dict[str, tuple[pd.DataFrame, dict]]:
    taxi_frame, _ = load_series(taxi, ["value"])
    raw, _ = load_series(temperature, ["value"])
    hourly = raw.resample("h").mean().dropna()
    cut = int(np.ceil(len(hourly) * 0.8))
    centred = hourly - hourly["value"].iloc[:cut].mean()
    zeros = taxi_frame - taxi_frame["value"].min()
    return {"taxi (30 min, H 48)": (taxi_frame, {"horizon": 48, "lookback": 96}),
            "temperature (hourly, H 24)": (hourly, {"horizon": 24, "lookback": 48}),
            "temperature - mean (negative values)": (centred, {"horizon": 24, "lookback": 48}),
            "taxi - min (zeros)": (zeros, {"horizon": 48, "lookback": 96})}


def nab(taxi: str, temperature: str, seeds: int) -> list[dict]:
    rows = []
    for name, (frame, flags) in nab_frames(taxi, temperature).items():
        for seed in range(seeds):
            r = _run(frame, _job("value", seed, **flags), 0.2)
            rows.append({"series": name, "seed": seed, "rows": len(frame), **flags,
                         "season": r["season"], "target_kind": r["encoding"].target_kind,
                         "mape": r["model"]["mape"], **_verdicts(r)})
            print(f"{name} seed {seed}: {_said(rows[-1])}")
    return rows


def timing(temperature: str, rows: int) -> dict:
    """Seconds of one default run (fit and backtest) on the first ``rows`` rows, its skill
    over naive and the Diebold-Mariano verdict against naive."""
    frame, _ = load_series(temperature, ["value"])
    started = time.perf_counter()
    r = _run(frame.iloc[:rows], _job("value", 0), 0.2)
    seconds = time.perf_counter() - started
    naive = r["significance"]["naive"]
    print(f"timing: default run on {rows} rows: {seconds:.1f} s; skill over naive "
          f"{r['skill']:+.2f}; against naive: {naive['verdict']} (p {naive['p_value']:.2g})")
    return {"seconds": seconds, "skill": r["skill"], "vs_naive": naive["verdict"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the aapl and nab runs")
    parser.add_argument("--m4", nargs=2, metavar=("TRAIN", "TEST"), help="M4 Hourly files")
    parser.add_argument("--m4-series", type=int, default=50, help="series sampled from M4")
    parser.add_argument("--m4-lookback", type=int, default=168, help="lookback for M4 series")
    parser.add_argument("--m4-rolling", type=int, default=20,
                        help="M4 series backtested with rolling origins")
    parser.add_argument("--taxi", help="NAB nyc_taxi.csv")
    parser.add_argument("--temperature", help="NAB machine_temperature_system_failure.csv")
    parser.add_argument("--timing-rows", type=int, default=15_000,
                        help="rows of the temperature for the timing run; 0 = skip it")
    parser.add_argument("--only", nargs="*",
                        default=["aapl", "m4", "m4-rolling", "nab", "timing"],
                        help="which parts to run")
    parser.add_argument("--out", default="", help="write the results as JSON here")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads")
    args = parser.parse_args()
    pin_threads(args.threads)
    warm = _job("Close", 0)
    _run(load_aapl()[["Close"]], replace(warm, train=replace(warm.train, epochs=1)), 0.2)
    results = {}  # (after an untimed warm-up fit: imports, allocator, oneDNN primitives)
    if "aapl" in args.only:
        results["aapl"] = aapl(args.seeds)
    if "m4" in args.only and args.m4:
        results["m4"] = m4(*args.m4, args.m4_series, args.m4_lookback)
    if "m4-rolling" in args.only and args.m4:
        results["m4_rolling"] = m4_rolling(*args.m4, args.m4_rolling, args.seeds,
                                           args.m4_lookback)
    if "nab" in args.only and args.taxi and args.temperature:
        results["nab"] = nab(args.taxi, args.temperature, args.seeds)
    if "timing" in args.only and args.temperature and args.timing_rows:
        results["timing"] = timing(args.temperature, args.timing_rows)
    if "nab" in results:
        seconds = [r["seconds"] for r in results["nab"]]
        print(f"nab runs: median {statistics.median(seconds):.0f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=2, default=str)


if __name__ == "__main__":
    main()
