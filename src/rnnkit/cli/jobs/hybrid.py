"""``rnnkit forecast --model hybrid``: the ES-RNN hybrid fitted on the training part, scored
beside the baselines.

The job of :mod:`.forecast` with :class:`~rnnkit.forecast.hybrid.HybridForecaster` in place
of the Forecaster: the same data flags, test part, scoreboard and files (:mod:`.forecast_files`).
The hybrid's own flags are its config's (:class:`~rnnkit.forecast.hybrid.HybridConfig`);
training flags left at the forecast job's defaults take the hybrid's
(:data:`~rnnkit.forecast.hybrid.HYBRID_TRAIN`), those set are kept.
"""

import math
import resource
import sys
import time
from dataclasses import fields, replace

from rnnkit.cli.config import ForecastJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, start_runtime
from rnnkit.cli.jobs.forecast_files import (
    data_record,
    interval_levels,
    read_data,
    series_settings,
    write_results,
)
from rnnkit.forecast.backtesting import backtest, training_part
from rnnkit.forecast.hybrid.config import HYBRID_TRAIN
from rnnkit.forecast.hybrid.estimator import HybridForecaster
from rnnkit.forecast.hybrid.series import hybrid_dilations
from rnnkit.forecast.hybrid.snapshots import PREDICT_SERIES
from rnnkit.forecast.panels import test_split
from rnnkit.io.files import prepare_out
from rnnkit.nn.models import ModelConfig
from rnnkit.training.loop import TrainConfig


def hybrid_training(train: TrainConfig) -> TrainConfig:
    """``train`` with the fields left at the forecast job's defaults set to the hybrid's."""
    job_default = ForecastJob().train
    return replace(train, **{f.name: getattr(HYBRID_TRAIN, f.name) for f in fields(train)
                             if getattr(train, f.name) == getattr(job_default, f.name)})


def build_hybrid(job: ForecastJob, data, record: dict) -> HybridForecaster:
    """The hybrid the job describes, for ``data`` (its season, target and horizon)."""
    season, target, horizon = series_settings(job, data, record)
    validation = 0  # many series: each one's last horizon
    if not isinstance(data, dict):  # one: the end of its training part, for enough origins
        rows = test_split(len(data), "", job.test_fraction, record["test_size"])
        validation = math.ceil(job.val_fraction * rows)
    hybrid = HybridForecaster(
        horizon=horizon, target=target,
        id_column=job.source.id_column if isinstance(data, dict) else "",
        season=job.season or season, lookback=job.lookback, hidden_size=job.hybrid.hidden,
        quantile=job.hybrid.quantile, intervals=interval_levels(job.intervals),
        level_penalty=job.hybrid.level_penalty, ensemble=job.ensemble or 1,
        snapshots=job.hybrid.snapshots, history=job.hybrid.history, validation=validation,
        train=hybrid_training(job.train))
    hybrid.check_params()
    return hybrid


def run(job: ForecastJob) -> JobResult:
    """Fit, score on the test part, forecast past the data, write (rank 0 under torchrun)."""
    data, record = read_data(job)
    hybrid = build_hybrid(job, data, record)
    test_size = record.pop("test_size")
    layers = len(hybrid_dilations((hybrid.season,) if hybrid.season > 1 else ()))
    runtime = start_runtime(job.runtime, ModelConfig(hidden_size=hybrid.hidden_size,
                                                     num_layers=layers),
                            max(hybrid.train.batch_size, PREDICT_SERIES))  # the largest batch
    out = prepare_out(job.out)
    bar = EpochBar(hybrid.train.epochs * hybrid.ensemble, job.progress and runtime.is_main)
    started = time.perf_counter()
    hybrid.fit(training_part(hybrid, data, job.test_fraction, test_size),
               checkpoint_dir=out / "checkpoints", resume=job.resume, on_epoch=bar.update,
               device=runtime.device)
    bar.close()
    if not runtime.is_main:
        return JobResult({}, [])
    result = backtest(hybrid, data, job.test_fraction, refit=False, test_size=test_size)
    seconds = time.perf_counter() - started
    future = hybrid.predict(data, job.future or hybrid.horizon)
    metrics = result.metrics | {
        "hybrid": {"seasons": list(hybrid.seasons_), "lookback": hybrid.lookback_,
                   "dilations": list(hybrid.dilations_), "members": len(hybrid.members_),
                   "ensemble": hybrid.ensemble, "snapshots": hybrid.snapshots,
                   "weights": hybrid.validation_["weight_mean"],
                   "validation": hybrid.validation_},
        "seconds": seconds, "peak_memory_mib": _peak_memory_mib(),
        "data": data_record(record, data, result.predictions), "config": job_record(job),
        "runtime": runtime.record(),
        "training": [{"epochs": len(h.records), "best_epoch": h.best_epoch,
                      "stopped_early": h.stopped_early} for h in hybrid.history_]}
    return write_results(job, out, hybrid, data, result, metrics, future, runtime.record(),
                         "pinball loss on the log targets")


def _peak_memory_mib() -> float:
    """The process's peak resident memory so far, in MiB (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)
