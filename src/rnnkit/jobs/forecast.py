"""``rnnkit forecast``: fit a Forecaster on the training part, score it beside the baselines.

Everything that can be checked is checked before training (flags against the data, the
encoding, the splits). Writes into ``job.out``: metrics.json, predictions.csv (one row per
origin and step), future.csv, forecast.png, loss.png, model/ (the fitted Forecaster, with the
recipe to read its data again) and checkpoints/ (for ``--resume``).
"""

import time
from dataclasses import asdict, replace
from pathlib import Path

from rnnkit.backtest import backtest, walk_forward
from rnnkit.config import ForecastJob, job_record
from rnnkit.forecast import AUTO, Forecaster
from rnnkit.io import load_table, prepare_out, write_json_atomic, write_text_atomic
from rnnkit.jobs import EpochBar, JobResult, split_names
from rnnkit.metrics import skill
from rnnkit.plots import plot_forecast, plot_loss
from rnnkit.window_models import NetworkRegressor, ReservoirRegressor


def build_forecaster(job: ForecastJob) -> Forecaster:
    """The Forecaster the job describes: ``--model`` picks the window model, its flags shape it."""
    if job.model == "esn":
        model = ReservoirRegressor(job.reservoir, seed=job.train.seed)
    else:
        model = NetworkRegressor(replace(job.network, cell=job.model), job.training(), job.loss)
    forecaster = Forecaster(
        model, lookback=job.lookback, horizon=job.horizon, target=job.source.target,
        covariates=split_names(job.covariates),
        features=AUTO if job.features == AUTO else split_names(job.features),
        target_kind=job.target_kind, window_norm=job.window_norm, season=job.season,
        scaler=job.scaler, val_fraction=job.val_fraction, ensemble=job.ensemble)
    forecaster.check_params()
    return forecaster


def reading_recipe(job: ForecastJob) -> dict:
    """How to read the job's data again (kept with the model, for ``rnnkit predict``)."""
    recipe = asdict(job.source)
    if Path(recipe["data"]).is_file():
        recipe["data"] = str(Path(recipe["data"]).resolve())
    return recipe


def run(job: ForecastJob) -> JobResult:
    forecaster = build_forecaster(job)
    source = job.source
    frame, data_record = load_table(source.data, source.date_column,
                                    [source.target, *forecaster.covariates], sep=source.sep,
                                    decimal=source.decimal, id_column=source.id_column,
                                    series=source.series)
    future_steps = job.future or job.horizon
    forecaster.check(frame, job.test_fraction, future_steps)  # before any training
    out = prepare_out(job.out)
    bar = EpochBar(forecaster.model.train.epochs * job.ensemble
                   if job.model != "esn" else 1, job.progress)
    started = time.perf_counter()
    result = backtest(forecaster, frame, job.test_fraction, checkpoint_dir=out / "checkpoints",
                      resume=job.resume, on_epoch=bar.update)
    seconds = time.perf_counter() - started
    bar.close()
    future = forecaster.predict(frame, future_steps)
    metrics = result.metrics | {
        "encoding": asdict(forecaster.encoding_), "seconds": seconds,
        "data": data_record | {"rows": len(frame), "first": str(frame.index[0]),
                               "last": str(frame.index[-1]),
                               "test_origins": int(result.predictions["origin"].nunique())},
        "config": job_record(job)}
    if job.folds:
        metrics["walk_forward"] = walk_forward(forecaster, frame, job.folds, job.test_fraction)
    metrics["training"] = [{"epochs": len(h.records), "best_epoch": h.best_epoch,
                            "stopped_early": h.stopped_early} for h in forecaster.history_]
    train_rows = frame[source.target][frame.index < result.predictions["date"].iloc[0]]
    plot_forecast(out / "forecast.png", train_rows, result.predictions, future, source.target,
                  f"{source.target}: {job.model.upper()} against the baselines on the test part",
                  forecaster.season_)
    plot_loss(out / "loss.png", [h.records for h in forecaster.history_])
    forecaster.save(out / "model", data=reading_recipe(job))
    write_text_atomic(out / "predictions.csv", result.predictions.to_csv(index=False))
    write_text_atomic(out / "future.csv", future.to_csv())
    write_json_atomic(out / "metrics.json", metrics)
    return JobResult(metrics, summary(metrics, source.target), out,
                     ["metrics.json", "predictions.csv", "future.csv", "forecast.png",
                      "loss.png", "model/"])


def summary(metrics: dict, target: str) -> list[str]:
    """The printout: what was chosen, the test errors beside the baselines, the verdicts."""
    encoding = metrics["encoding"]
    lines = [f"inputs {', '.join(encoding['features'])}; target {encoding['target_kind']}; "
             f"window normalisation {encoding['window_norm']}: {encoding['reason']}",
             f"test part: {metrics['data']['test_origins']} origins, {target} in its own units, "
             f"season m = {metrics['season']}",
             f"{'':8}{'MAE':>11}{'RMSE':>11}{'sMAPE %':>9}{'MASE':>8}{'dir. acc':>10}"]
    for who in ("model", "naive", "snaive", "drift"):
        m = metrics[who]
        mase = "-" if m["mase"] is None else f"{m['mase']:.3f}"
        lines.append(f"{who:<8}{m['mae']:>11.4g}{m['rmse']:>11.4g}{m['smape']:>9.3f}"
                     f"{mase:>8}{m['directional_accuracy']:>10.3f}")
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
    lines.append(f"trained and scored in {metrics['seconds']:.1f} s")
    return lines

