"""``rnnkit forecast``: fit a Forecaster on the training part, score it beside the baselines.

One series, or many (a long-format file with ``--id-column``, the M4 competition's files): one
model then learns from every series and each is scored on its own test part. Everything that
can be checked is checked before training (flags against the data, the encoding, the splits).
Writes into ``job.out``: metrics.json, predictions.csv (one row per origin and step, and
series), future.csv, forecast.png, loss.png, model/ (the fitted Forecaster, with the recipe to
read its data again), checkpoints/ (for ``--resume``) and, for many series, per_series.csv,
error_by_step.png and series.png.
"""

import time
import warnings
from dataclasses import asdict, replace

import numpy as np

from rnnkit._checks import InputError
from rnnkit.cli.config import ForecastJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, hybrid, split_names, start_runtime
from rnnkit.cli.jobs.forecast_files import (
    data_record,
    interval_levels,
    read_data,
    read_future,
    series_settings,
    write_results,
)
from rnnkit.forecast.backtesting import backtest, training_part, walk_forward
from rnnkit.forecast.forecaster import AUTO, Forecaster
from rnnkit.forecast.panels import fitting_lookback, test_split
from rnnkit.forecast.selection import select_settings
from rnnkit.forecast.window_models import PREDICT_BATCH, NetworkRegressor, ReservoirRegressor
from rnnkit.forecast.windows import chronological_split
from rnnkit.io.files import (
    prepare_out,
)
from rnnkit.io.static import read_static
from rnnkit.training.runtime import Runtime, recurrent_work, widen_threads


def build_forecaster(job: ForecastJob, horizon: int = 1, season: int = 0,
                     target: str = "", id_column: str = "", many: bool = False) -> Forecaster:
    """The Forecaster the job describes: ``--model`` picks the window model, its flags shape it.

    What the job leaves at 0 or auto is decided by the data: ``horizon`` and ``season`` (an M4
    file's own); the lookback, loss and ensemble set here (7 seasons and at least 60; MAE and
    3 members for ``many`` series, MSE and 1 for one) are where :func:`candidate_settings`
    starts choosing on the validation part.
    """
    lookback = job.lookback or max(60, 7 * (job.season or season))
    loss = job.loss if job.loss != AUTO else ("mae" if many else "mse")
    if job.model == "esn":
        model = ReservoirRegressor(job.reservoir, seed=job.train.seed, select_ridge=job.select)
    else:
        model = NetworkRegressor(replace(job.network, cell=job.model), job.train, loss)
    forecaster = Forecaster(
        model, lookback=lookback, horizon=job.horizon or horizon,
        target=target or job.source.target, covariates=split_names(job.covariates),
        known=split_names(job.known),
        features=AUTO if job.features == AUTO else split_names(job.features),
        target_kind=job.target_kind, window_norm=job.window_norm, season=job.season or season,
        scaler=job.scaler, val_fraction=job.val_fraction,
        ensemble=job.ensemble or (3 if many else 1), id_column=id_column,
        series_embedding=job.series_embedding, combine=job.combine,
        intervals=interval_levels(job.intervals))
    forecaster.check_params()
    return forecaster


def candidate_settings(job: ForecastJob, forecaster: Forecaster
                       ) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The lookbacks and losses :func:`~rnnkit.forecast.selection.select_settings` chooses
    among: what the job sets, else a short and a long window (max(20, 3m) and max(60, 7m)
    for the season m, at most the lookback the data allows) and both losses, the usual
    one first (MAE for many series, MSE for one)."""
    if job.val_fraction == 0:  # nothing to choose by
        return (forecaster.lookback,), (getattr(forecaster.model, "loss", ""),)
    if job.lookback:
        lookbacks = (job.lookback,)
    else:
        lookbacks = tuple(sorted({min(max(20, 3 * forecaster.season), forecaster.lookback),
                                  forecaster.lookback}))
    if job.model == "esn":
        return lookbacks, ("",)
    if job.loss != AUTO:
        return lookbacks, (job.loss,)
    return lookbacks, (forecaster.model.loss, "mse" if forecaster.model.loss == "mae" else "mae")


def fit_selected(job: ForecastJob, forecaster: Forecaster, data, test_size: int | dict = 0,
                 **fit_kwargs) -> tuple[Forecaster, dict | None]:
    """Fit as the job does: on the training part of ``data`` only, the settings the job leaves
    open chosen on its validation part (:func:`candidate_settings`,
    :func:`~rnnkit.forecast.selection.select_settings`); the fitted Forecaster and the record
    of the choice."""
    lookbacks, losses = candidate_settings(job, forecaster)
    return select_settings(forecaster,
                           training_part(forecaster, data, job.test_fraction, test_size),
                           lookbacks, losses,
                           choose_ensemble=not job.ensemble and job.val_fraction > 0,
                           **fit_kwargs)


def validation_batch(forecaster: Forecaster, data, job: ForecastJob,
                     test_size: int | dict) -> int:
    """The windows of the largest batch the job computes: its validation windows (every
    series' v - H + 1, v = max(val_fraction of its training rows, H)), at most one
    prediction batch, and at least a training batch."""
    panel = data if isinstance(data, dict) else {"": data}
    horizon, windows = forecaster.horizon, 0
    for key, frame in panel.items():
        train = test_split(len(frame), key, job.test_fraction, test_size)
        split = chronological_split(train, 0.0, job.val_fraction, horizon)  # as fit cuts it
        windows += max(split.train_end - split.fit_end - horizon + 1, 0)
    return max(min(windows, PREDICT_BATCH), job.train.batch_size)


def start_job_runtime(job: ForecastJob) -> Runtime:
    """Threads, device and process group for the job's model (the ESN stays on the CPU)."""
    network = None if job.model == "esn" else replace(job.network, cell=job.model)
    return start_runtime(job.runtime, network, job.train.batch_size,
                         cpu_only="the echo state network (NumPy and SciPy)"
                         if job.model == "esn" else "")


def checked_forecaster(job: ForecastJob, data, record: dict) -> Forecaster:
    """The job's Forecaster for ``data``, with every check made before training."""
    many = isinstance(data, dict)
    panel = data if many else {"": data}
    season, target, horizon = series_settings(job, data, record)
    forecaster = build_forecaster(job, horizon, season, target,
                                  job.source.id_column if many else "", many)
    lowered = None
    if not job.lookback:  # the default lookback, lowered so that every series fits
        lookback, shortest = fitting_lookback(panel, forecaster.lookback, forecaster.horizon,
                                              job.val_fraction, job.test_fraction,
                                              record["test_size"])
        if shortest is not None:
            which = f"the shortest series ({shortest}, " if many else "the series ("
            lowered = (f"lookback {forecaster.lookback} lowered to {lookback} so that "
                       f"{which}{len(panel[shortest])} rows) has a window to fit on; set "
                       "`lookback` to choose it")
            forecaster.set_params(lookback=lookback)
    forecaster.check(data, job.test_fraction, job.future or forecaster.horizon,
                     test_size=record["test_size"])
    if lowered:  # said once it is known to help
        warnings.warn(lowered, stacklevel=2)
    return forecaster


def validation_score(job: ForecastJob, data, record: dict, on_epoch=None,
                     device: str = "cpu") -> float:
    """The job's best validation loss (mean over its ensemble), trained on the training part.

    What ``rnnkit tune forecast`` minimises: the test part is cut off before anything is fitted
    and never read. The loss is the training loss on the scaled targets (so keep ``--loss`` and
    the target's encoding fixed when comparing trials).
    """
    if job.val_fraction == 0:
        raise InputError("--val-fraction 0 leaves no validation part to score trials on")
    forecaster = checked_forecaster(job, data, record)
    static = {"static": read_static(job.static)} if job.static else {}
    forecaster.fit(training_part(forecaster, data, job.test_fraction, record["test_size"]),
                   on_epoch=on_epoch, device=device, **static)
    return float(np.mean([h.best_val_loss for h in forecaster.history_]))


def run(job: ForecastJob) -> JobResult:
    """The job; under torchrun every rank trains, and rank 0 alone scores and writes."""
    if job.model == "hybrid":
        return hybrid.run(job)
    runtime = start_job_runtime(job)
    data, record = read_data(job)
    forecaster = checked_forecaster(job, data, record)
    future_steps = job.future or forecaster.horizon
    test_size = record.pop("test_size")
    future_data = read_future(job.source, job.future_data, forecaster.known)
    if job.model != "esn":
        runtime = widen_threads(runtime, job.runtime, recurrent_work(
            job.model, job.network.hidden_size, validation_batch(forecaster, data, job,
                                                                 test_size),
            job.network.num_layers, bidirectional=job.network.bidirectional))
    fit_options = {"device": runtime.device} | (
        {"static": read_static(job.static)} if job.static else {})
    out = prepare_out(job.out)
    lookbacks, losses = candidate_settings(job, forecaster)
    fits = len(lookbacks) + len(losses) - 1 + forecaster.ensemble - 1  # the most it trains
    bar = EpochBar(forecaster.model.train.epochs * fits if job.model != "esn" else fits,
                   job.progress and runtime.is_main)
    started = time.perf_counter()
    forecaster, selection = fit_selected(job, forecaster, data, test_size,
                                         checkpoint_dir=out / "checkpoints", resume=job.resume,
                                         on_epoch=bar.update, **fit_options)
    bar.close()
    folds = walk_forward(forecaster, data, job.folds, job.test_fraction,
                         **fit_options) if job.folds else None  # every rank: its fits train
    if not runtime.is_main:
        return JobResult({}, [])
    result = backtest(forecaster, data, job.test_fraction, refit=False, test_size=test_size)
    seconds = time.perf_counter() - started
    future = forecaster.predict(data, future_steps, future_data=future_data)
    metrics = result.metrics | {
        "encoding": asdict(forecaster.encoding_), "selection": selection, "seconds": seconds,
        "data": data_record(record, data, result.predictions),
        "config": job_record(job), "runtime": runtime.record()}
    if folds is not None:
        metrics["walk_forward"] = folds
    metrics["training"] = [{"epochs": len(h.records), "best_epoch": h.best_epoch,
                            "stopped_early": h.stopped_early} for h in forecaster.history_]
    return write_results(job, out, forecaster, data, result, metrics, future,
                         runtime.record(), _loss_label(forecaster))


def _loss_label(forecaster: Forecaster) -> str:
    """What the loss plot's axis shows: the loss, on the targets as the model saw them."""
    if forecaster.model.kind == "reservoir":
        return "MSE on the standardised targets"
    return f"{forecaster.model.loss.upper()} on the standardised targets"


