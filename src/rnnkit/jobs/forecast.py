"""``rnnkit forecast``: fit a Forecaster on the training part, score it beside the baselines.

Writes into ``job.out``: metrics.json, predictions.csv, future.csv, forecast.png, loss.png,
model/ (the fitted Forecaster) and checkpoints/ (for ``--resume``).
"""

from dataclasses import replace

from rnnkit.config import ForecastJob, job_record
from rnnkit.forecast import Forecaster, backtest, walk_forward
from rnnkit.io import load_table, prepare_out, write_json_atomic, write_text_atomic
from rnnkit.jobs import EpochBar, JobResult, split_names
from rnnkit.plots import plot_forecast, plot_loss
from rnnkit.window_models import NetworkRegressor, ReservoirRegressor


def build_forecaster(job: ForecastJob) -> Forecaster:
    """The Forecaster the job describes: ``--model`` picks the window model, its flags shape it."""
    if job.model == "esn":
        model = ReservoirRegressor(job.reservoir, seed=job.train.seed)
    else:
        model = NetworkRegressor(replace(job.network, cell=job.model), job.train, job.loss)
    forecaster = Forecaster(
        model, lookback=job.lookback, horizon=job.horizon, target=job.target,
        covariates=split_names(job.covariates), features=split_names(job.features),
        target_kind=job.target_kind, scaler=job.scaler, val_fraction=job.val_fraction,
        ensemble=job.ensemble)
    forecaster.check_params()
    return forecaster


def run(job: ForecastJob) -> JobResult:
    forecaster = build_forecaster(job)
    frame, data_record = load_table(job.data, job.date_column,
                                    [job.target, *forecaster.covariates])
    out = prepare_out(job.out)
    bar = EpochBar(job.train.epochs * job.ensemble, job.progress)
    result = backtest(forecaster, frame, job.test_fraction, checkpoint_dir=out / "checkpoints",
                      resume=job.resume, on_epoch=bar.update)
    bar.close()
    future = forecaster.predict(frame, job.future)
    metrics = result.metrics | {"data": data_record | {
        "rows": len(frame), "first": str(frame.index[0].date()), "last":
        str(frame.index[-1].date()), "test_rows": len(result.predictions)},
        "config": job_record(job)}
    if job.folds:
        metrics["walk_forward"] = walk_forward(forecaster, frame, job.folds, job.test_fraction)
    metrics["training"] = [{"epochs": len(h.records), "best_epoch": h.best_epoch,
                            "stopped_early": h.stopped_early} for h in forecaster.history_]
    train_rows = frame[job.target][frame.index < result.predictions["date"].iloc[0]]
    plot_forecast(out / "forecast.png", train_rows, result.predictions, future, job.target,
                  f"{job.target}: {job.model.upper()} vs naive on the test part")
    plot_loss(out / "loss.png", [h.records for h in forecaster.history_])
    forecaster.save(out / "model")
    write_text_atomic(out / "predictions.csv", result.predictions.to_csv(index=False))
    write_text_atomic(out / "future.csv", future.to_csv())
    write_json_atomic(out / "metrics.json", metrics)
    return JobResult(metrics, _summary(metrics, job.target), out,
                     ["metrics.json", "predictions.csv", "future.csv", "forecast.png",
                      "loss.png", "model/"])


def _summary(metrics: dict, target: str) -> list[str]:
    lines = [f"test part: {metrics['data']['test_rows']} forecasts, {target} in its own units",
             f"{'':8}{'MAE':>10}{'RMSE':>10}{'MAPE %':>9}{'MASE':>8}{'dir. acc':>10}"]
    for who in ("model", "naive", "drift"):
        m = metrics[who]
        lines.append(f"{who:<8}{m['mae']:>10.4f}{m['rmse']:>10.4f}{m['mape']:>9.3f}"
                     f"{m['mase']:>8.3f}{m['directional_accuracy']:>10.3f}")
    verdict = "beats" if metrics["model"]["mse"] < metrics["naive"]["mse"] else "loses to"
    lines.append(f"skill vs naive (1 - MSE/MSE_naive): {metrics['skill']:+.4f}: the model "
                 f"{verdict} the naive forecast")
    return lines
