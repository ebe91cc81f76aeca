"""``rnnkit esn``: fit an echo state network to a series; score one-step and closed-loop.

Writes into ``job.out``: metrics.json, predictions.csv, prediction.png, model/ and, with
``--search``, search.csv and search.png.
"""

import math
import sys
from dataclasses import asdict

from rnnkit._checks import InputError
from rnnkit.cli.config import EsnJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import JobResult, start_runtime
from rnnkit.io.files import prepare_out, write_json_atomic, write_text_atomic
from rnnkit.io.plots import plot_predictions, plot_search
from rnnkit.io.sources import load_series
from rnnkit.reservoir.esn import ESN
from rnnkit.reservoir.evaluation import (
    READOUT_GRID,
    grid_search,
    random_search,
    score_series,
    standardize,
)


def _series(job: EsnJob):
    """The values to model, their time index (None for a generated series) and a record of
    where they came from."""
    source = job.source
    if source.data == "mackey-glass":
        from rnnkit.reservoir.chaos import mackey_glass

        return mackey_glass(job.length, discard=500), None, {
            "source": "mackey-glass", "tau": 17, "values": job.length}
    frame, record = load_series(source.data, [source.target], **source.reading(), many=False)
    return frame.iloc[:, 0].to_numpy(float), frame.index, record  # the target, first


def run(job: EsnJob) -> JobResult:
    start_runtime(job.runtime, cpu_only="the echo state network (NumPy and SciPy)")
    series, index, data_record = _series(job)
    out = prepare_out(job.out)
    train_end = math.ceil(len(series) * (1 - job.test_fraction))
    if not 1 < train_end < len(series):
        raise InputError(f"--test-fraction {job.test_fraction} leaves no training or no "
                         f"held-out values of the {len(series)}")
    params = asdict(job.reservoir) | {"readout": job.readout, "seed": job.seed,
                                      "feedback_scaling": job.feedback_scaling}
    written = ["metrics.json", "predictions.csv", "prediction.png", "model/"]
    if job.search or job.select:
        params |= _search(job, series, train_end, params, out)
        written += ["search.csv", "search.png"]
    horizons = tuple(int(h) for h in job.horizons.split(","))
    esn = ESN(**params)
    metrics, predictions = score_series(esn, series, train_end, horizons)
    metrics |= {"params": esn.get_params(), "data": data_record, "config": job_record(job)}
    if index is not None:  # a file's series: its times, not step numbers
        predictions.insert(0, "date", index[train_end:])
    steps = predictions["closed_loop"].notna().sum()
    plot_predictions(out / "prediction.png", [
        (f"one step ahead, held out: NRMSE {metrics['nrmse']:.2e}", predictions["actual"],
         predictions["one_step"]),
        (f"closed loop, {steps} steps: {metrics['valid_steps']} within 10% of the range",
         predictions["actual"][:steps], predictions["closed_loop"][:steps])],
        start=train_end, times=None if index is None else index[train_end:])
    esn.save(out / "model")
    write_text_atomic(out / "predictions.csv", predictions.to_csv(index=False))
    write_json_atomic(out / "metrics.json", metrics)
    return JobResult(metrics, _summary(metrics), out, written)


def _search(job: EsnJob, series, train_end: int, params: dict, out) -> dict:
    """Random search (``--search``) or the readout grid (``--select``) on the training part,
    its last fifth validating; the best trial's values."""
    from tqdm import tqdm

    z = standardize(series, train_end)[0][:train_end]
    val_start = int(0.8 * (train_end - 1))
    total = job.search or math.prod(len(v) for v in READOUT_GRID.values())
    shown = job.progress and job.search and sys.stderr.isatty()  # the grid takes seconds
    bar = tqdm(total=total, unit="trial", disable=not shown, file=sys.stderr)
    if job.search:
        table = random_search(z[:-1], z[1:], val_start, job.search, search_seed=job.seed,
                              on_trial=lambda row: bar.update(1), **params)
        title = f"random search, {job.search} trials: validation one-step NRMSE"
    else:
        fixed = {k: v for k, v in params.items() if k not in READOUT_GRID}
        table = grid_search(z[:-1], z[1:], val_start, on_trial=lambda row: bar.update(1),
                            **fixed)
        title = "ridge and input scaling, grid: validation one-step NRMSE"
    bar.close()
    write_text_atomic(out / "search.csv", table.to_csv(index=False))
    plot_search(out / "search.png", table, title=title)
    best = table.iloc[0]
    return {name: float(best[name]) for name in table.columns if not name.endswith("nrmse")
            and name != "trial"}


def _summary(metrics: dict) -> list[str]:
    lines = [f"one step, {metrics['test_values']} held-out values: NRMSE "
             f"{metrics['nrmse']:.3e} (naive x[t+1] = x[t]: {metrics['naive_nrmse']:.3e})"]
    for h, score in metrics["closed_loop"].items():
        lines.append(f"closed loop, {h:>4} steps: NRMSE {score:.3e} (naive constant: "
                     f"{metrics['naive_closed_loop'][h]:.3e})")
    lines.append(f"closed loop stays within 10% of the range for {metrics['valid_steps']} "
                 f"steps; NRMSE over the first h values <= 1e-2 up to h = "
                 f"{metrics['horizon_at_1e-2']}")
    if metrics["nrmse"] >= metrics["naive_nrmse"]:
        lines.append("warning: the ESN loses to the naive forecast one step ahead: a series "
                     "that wanders like a price is best forecast by its last value; try "
                     "`rnnkit forecast --model esn`, which models its changes")
    return lines
