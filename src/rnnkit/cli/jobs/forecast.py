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
from pathlib import Path

import numpy as np

from rnnkit._checks import InputError
from rnnkit.cli.config import DataConfig, ForecastJob
from rnnkit.cli.flags import job_record
from rnnkit.cli.jobs import EpochBar, JobResult, optional_outputs, split_names, start_runtime
from rnnkit.forecast.backtesting import SCOREBOARD, backtest, training_part, walk_forward
from rnnkit.forecast.features import seasonal_horizon
from rnnkit.forecast.forecaster import AUTO, Forecaster
from rnnkit.forecast.metrics import skill
from rnnkit.forecast.panels import fitting_lookback, test_split
from rnnkit.forecast.selection import select_settings
from rnnkit.forecast.window_models import PREDICT_BATCH, NetworkRegressor, ReservoirRegressor
from rnnkit.forecast.windows import chronological_split
from rnnkit.io.files import (
    prepare_out,
    write_json_atomic,
    write_text_atomic,
    written_decimals,
)
from rnnkit.io.plots import plot_error_by_step, plot_forecast, plot_loss, plot_series_examples
from rnnkit.io.sources import load_series, obvious_target
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
        intervals=_levels(job.intervals))
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


def _levels(text: str) -> tuple[int, ...]:
    """'80, 95' -> (80, 95): the interval levels of the job."""
    try:
        return tuple(int(level) for level in split_names(text))
    except ValueError:
        raise InputError(f"`intervals` are whole percentages such as 80,95; got {text!r}"
                         ) from None


def read_future(source: DataConfig, path: str, known: tuple[str, ...]):
    """The known columns' values after the data, from ``path`` read as ``source`` reads its
    data (None without known columns); refused before training when they are missing."""
    if not known:
        return None
    if not path:
        raise InputError(f"`known` {','.join(known)} needs `future_data`: a file of their "
                         "values at the times after the data, for the forecast past it")
    reading = source.reading() | {"test_data": "", "format": "table"}
    return load_series(path, list(known), **reading)[0]


def reading_recipe(job: ForecastJob) -> dict:
    """How to read the job's data again (kept with the model, for ``rnnkit predict``)."""
    recipe = asdict(job.source)
    for key in ("data", "test_data"):
        if recipe[key] and Path(recipe[key]).is_file():
            recipe[key] = str(Path(recipe[key]).resolve())
    return recipe


def load_data(source: DataConfig, columns: list[str], horizon: int = 0
              ) -> tuple[dict | object, dict]:
    """The series ``source`` names (a frame, or a dict of frames by id) and where they came from.

    The record's "horizon" and "season" (M4 files) are the data's own; "test_size" the rows
    each series holds out (M4: its test values, else ``horizon``), else 0 (the test fraction).
    """
    data, record = load_series(source.data, columns, **source.reading())
    m4 = record.get("format") == "m4"
    return data, record | {"test_size": (record["horizon"] or horizon) if m4 else 0}


def start_job_runtime(job: ForecastJob) -> Runtime:
    """Threads, device and process group for the job's model (the ESN stays on the CPU)."""
    network = None if job.model == "esn" else replace(job.network, cell=job.model)
    return start_runtime(job.runtime, network, job.train.batch_size,
                         cpu_only="the echo state network (NumPy and SciPy)"
                         if job.model == "esn" else "")


def read_data(job: ForecastJob) -> tuple[dict | object, dict]:
    """The job's series and their record (:func:`load_data` with the job's columns)."""
    return load_data(job.source, [job.source.target, *split_names(job.covariates),
                                  *split_names(job.known)],
                     job.horizon)


def checked_forecaster(job: ForecastJob, data, record: dict) -> Forecaster:
    """The job's Forecaster for ``data``, with every check made before training."""
    many = isinstance(data, dict)
    panel = data if many else {"": data}
    season = record.get("season") or _season(panel)
    target = ("value" if record.get("format") == "m4" else record.get("target")
              or job.source.target or obvious_target(next(iter(panel.values())),
                                                     job.source.data, split_names(job.covariates)))
    horizon = record.get("horizon") or job.horizon or seasonal_horizon(
        [frame[target].to_numpy(float)[: test_split(len(frame), key, job.test_fraction,
                                                    record["test_size"])]
         for key, frame in panel.items()], season, job.val_fraction)
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
    runtime = start_job_runtime(job)
    data, record = read_data(job)
    many = isinstance(data, dict)
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
    predictions = result.predictions
    metrics = result.metrics | {
        "encoding": asdict(forecaster.encoding_), "selection": selection, "seconds": seconds,
        "data": record | _extent(data) | {"test_origins": len(predictions[["origin"] + (
            [predictions.columns[0]] if many else [])].drop_duplicates())},
        "config": job_record(job), "runtime": runtime.record()}
    if folds is not None:
        metrics["walk_forward"] = folds
    metrics["training"] = [{"epochs": len(h.records), "best_epoch": h.best_epoch,
                            "stopped_early": h.stopped_early} for h in forecaster.history_]
    target = forecaster.target
    forecaster.save(out / "model", data=reading_recipe(job), run=runtime.record())
    decimals = written_decimals(np.concatenate([frame[target].to_numpy(float) for frame in (
        data.values() if many else [data])]))  # forecasts as precise as the data, no more
    write_text_atomic(out / "predictions.csv",
                      _rounded(predictions, decimals).to_csv(index=False))
    write_text_atomic(out / "future.csv", _rounded(future, decimals).to_csv())
    write_json_atomic(out / "metrics.json", metrics)
    written = ["metrics.json", "predictions.csv", "future.csv", "model/"]
    if many:
        write_text_atomic(out / "per_series.csv", result.per_series.to_csv(index=False))
        written.append("per_series.csv")
    lines = panel_summary(metrics) if many else summary(metrics, target)
    figures = {"loss.png": lambda: plot_loss(
        out / "loss.png", forecaster.history_, _loss_label(forecaster),
        f"training of {job.model.upper()}")}
    if many:
        figures["error_by_step.png"] = lambda: plot_error_by_step(
            out / "error_by_step.png", predictions, forecaster.season_)
        figures["series.png"] = lambda: plot_series_examples(
            out / "series.png", predictions, result.per_series, target)
    else:
        figures["forecast.png"] = lambda: plot_forecast(
            out / "forecast.png", data[target][data.index < predictions["date"].iloc[0]],
            predictions, future, target,
            f"{target}: {job.model.upper()} against the baselines on the test part",
            forecaster.season_)
    return optional_outputs(JobResult(metrics, lines, out, written),
                            figures if job.figures else {})


def _rounded(frame, decimals: int):
    """``frame`` with its float columns rounded to ``decimals`` (times and ids untouched)."""
    return frame.round({c: decimals for c in frame.columns if frame[c].dtype.kind == "f"})


def _loss_label(forecaster: Forecaster) -> str:
    """What the loss plot's axis shows: the loss, on the targets as the model saw them."""
    if forecaster.model.kind == "reservoir":
        return "MSE on the standardised targets"
    return f"{forecaster.model.loss.upper()} on the standardised targets"


def _season(panel: dict) -> int:
    """The season of a panel's spacing (its first series'), for the lookbacks it implies."""
    from rnnkit.forecast.metrics import infer_season

    return infer_season(next(iter(panel.values())).index)


def _extent(data) -> dict:
    """Rows and time span of the data (one series), or the number of rows (many)."""
    if isinstance(data, dict):
        return {"rows": sum(len(frame) for frame in data.values())}
    return {"rows": len(data), "first": str(data.index[0]), "last": str(data.index[-1])}


def _encoding_line(encoding: dict) -> str:
    return (f"inputs {', '.join(encoding['features'])}; target {encoding['target_kind']}; "
            f"window normalisation {encoding['window_norm']}: {encoding['reason']}")


def _selection_line(metrics: dict) -> list[str]:
    selection = metrics.get("selection")
    return [f"settings: {selection['summary']}"] if selection else []


def summary(metrics: dict, target: str) -> list[str]:
    """The printout: what was chosen, the test errors beside the baselines, the verdicts."""
    encoding = metrics["encoding"]
    lines = [_encoding_line(encoding), *_selection_line(metrics),
             f"test part: {metrics['data']['test_origins']} origins, {target} in its own units, "
             f"season m = {metrics['season']}",
             f"{'':8}{'MAE':>11}{'RMSE':>11}{'sMAPE %':>9}{'MASE':>8}{'dir. acc':>10}"]
    for who in (w for w in SCOREBOARD if w in metrics):
        m = metrics[who]
        mase = "-" if m["mase"] is None else f"{m['mase']:.3f}"
        lines.append(f"{who:<8}{m['mae']:>11.4g}{m['rmse']:>11.4g}{m['smape']:>9.3f}"
                     f"{mase:>8}{m['directional_accuracy']:>10.3f}")
    lines += _combination_lines(metrics)
    for baseline, test in metrics["significance"].items():
        score = skill(metrics["model"]["mse"], metrics[baseline]["mse"])
        score = f"skill 1 - MSE/MSE_{baseline} = " + ("-" if score is None else f"{score:+.4f}")
        if test["p_value"] is None:
            lines.append(f"against the {baseline} forecast: {test['verdict']}; {score}")
            continue
        said = {"no significant difference": "shows no significant difference from"}.get(
            test["verdict"], test["verdict"])
        lines.append(f"the model {said} the {baseline} forecast (Diebold-Mariano on squared "
                     f"errors, p = {test['p_value']:.3g}; {score})")
    if "significance_network" in metrics:
        lines.append("the network alone: " + "; ".join(
            f"{test['verdict']} {baseline}" + ("" if test["p_value"] is None else
                                                f" (p = {test['p_value']:.3g})")
            for baseline, test in metrics["significance_network"].items()))
    lines.append(f"trained and scored in {metrics['seconds']:.1f} s")
    return lines


# M4 Hourly's published MSIS (Makridakis et al. 2020), beside which a run on it is printed
M4_HOURLY_MSIS = {"Naive": 71.245, "ETS": 17.487, "ES-RNN": 7.928, "ARIMA": 7.538, "best": 6.139}


def _combination_lines(metrics: dict) -> list[str]:
    """The combination's weights and the intervals' coverage on the test part, one line each."""
    lines, model = [], metrics["model"]
    combination = metrics.get("combination") or {}
    if len(combination.get("components", ())) > 1:
        weights = ", ".join(f"{name} {w:.2f}" for name, w in combination["mean_weights"].items())
        lines.append(f"model = weighted {weights} (mean over steps; fitted on "
                     f"{combination['validation']['origins']} validation origins)")
    covered = [f"{name[9:]}% covers {value:.1%}" for name, value in model.items()
               if name.startswith("coverage_") and value is not None]
    if covered:
        msis = "" if model.get("msis") is None else f"; MSIS {model['msis']:.3f}"
        published = ""
        if metrics["data"].get("format") == "m4" and metrics["data"].get("horizon") == 48:
            published = " (published M4 Hourly: " + ", ".join(
                f"{name} {value}" for name, value in M4_HOURLY_MSIS.items()) + ")"
        lines.append(f"intervals on the test part: {', '.join(covered)}{msis}{published}")
    return lines


def panel_summary(metrics: dict) -> list[str]:
    """The printout for many series: means over series beside the benchmarks (OWA for M4)."""
    encoding, series = metrics["encoding"], metrics["series"]
    fallback = series["fallback"]["count"]
    left = (f", {fallback} too short to learn from forecast by seasonal naive" if fallback
            else "")
    lines = [_encoding_line(encoding), *_selection_line(metrics),
             f"{series['scored']} series, one model; means over series, season m = "
             f"{metrics['season']}{left}",
             f"{'':8}{'sMAPE %':>9}{'MASE':>8}{'OWA':>7}{'MAE':>11}"]
    for who in (w for w in SCOREBOARD if w in metrics):
        m = metrics[who]
        cells = [f"{m[name]:>{width}.3f}" if m.get(name) is not None else f"{'-':>{width}}"
                 for name, width in (("smape", 9), ("mase", 8), ("owa", 7))]
        lines.append(f"{who:<8}{''.join(cells)}{m['mae']:>11.4g}")
    lines += _combination_lines(metrics)
    tests = [(who, baseline, counts) for who, key in (("the model", "significance"),
                                                      ("the network", "significance_network"))
             for baseline, counts in metrics.get(key, {}).items()]
    untested = {verdict for _, _, counts in tests for verdict in counts}
    if len(untested) == 1 and next(iter(untested)).startswith("not tested"):  # M4: 1 origin
        lines.append(f"Diebold-Mariano tests series by series: {next(iter(untested))}")
        tests = []
    for who, baseline, counts in tests:
        said = ", ".join(f"{verdict}: {count}" for verdict, count in counts.items())
        lines.append(f"{who} against {baseline}, series by series (Diebold-Mariano, 5%): "
                     f"{said}")
    lines.append(f"trained and scored in {metrics['seconds']:.1f} s")
    return lines
