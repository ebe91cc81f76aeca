"""The forecast job's files: its data read in, its results written out, its printout.

Shared by the recurrent forecasters' job (:mod:`.forecast`) and the hybrid's (:mod:`.hybrid`):
``rnnkit predict`` reads a model's data again with :func:`load_data`.
"""

from dataclasses import asdict
from pathlib import Path

import numpy as np

from rnnkit._checks import InputError
from rnnkit.cli.config import DataConfig, ForecastJob
from rnnkit.cli.jobs import JobResult, optional_outputs, split_names
from rnnkit.forecast.backtesting import SCOREBOARD, Backtest
from rnnkit.forecast.features import seasonal_horizon
from rnnkit.forecast.metrics import infer_season, skill
from rnnkit.forecast.panels import test_split
from rnnkit.io.files import write_json_atomic, write_text_atomic, written_decimals
from rnnkit.io.plots import plot_error_by_step, plot_forecast, plot_loss, plot_series_examples
from rnnkit.io.sources import load_series, obvious_target


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


def read_data(job: ForecastJob) -> tuple[dict | object, dict]:
    """The job's series and their record (:func:`load_data` with the job's columns)."""
    return load_data(job.source, [job.source.target, *split_names(job.covariates),
                                  *split_names(job.known)],
                     job.horizon)


def write_results(job: ForecastJob, out: Path, forecaster, data, result: Backtest,
                  metrics: dict, future, run: dict, loss_label: str) -> JobResult:
    """Write the job's files into ``out`` (module docstring of :mod:`.forecast`) and return
    its result with the printout: the model folder, predictions.csv, future.csv,
    metrics.json, per_series.csv (many series) and the figures."""
    many = isinstance(data, dict)
    target, predictions = forecaster.target, result.predictions
    forecaster.save(out / "model", data=reading_recipe(job), run=run)
    decimals = written_decimals(np.concatenate([frame[target].to_numpy(float) for frame in (
        data.values() if many else [data])]))  # forecasts as precise as the data, no more
    write_text_atomic(out / "predictions.csv",
                      rounded(predictions, decimals).to_csv(index=False))
    write_text_atomic(out / "future.csv", rounded(future, decimals).to_csv())
    write_json_atomic(out / "metrics.json", metrics)
    written = ["metrics.json", "predictions.csv", "future.csv", "model/"]
    if many:
        write_text_atomic(out / "per_series.csv", result.per_series.to_csv(index=False))
        written.append("per_series.csv")
    lines = panel_summary(metrics) if many else summary(metrics, target)
    name = job.model.upper()
    figures = {"loss.png": lambda: plot_loss(out / "loss.png", forecaster.history_,
                                             loss_label, f"training of {name}")}
    if many:
        figures["error_by_step.png"] = lambda: plot_error_by_step(
            out / "error_by_step.png", predictions, forecaster.season_)
        figures["series.png"] = lambda: plot_series_examples(
            out / "series.png", predictions, result.per_series, target)
    else:
        figures["forecast.png"] = lambda: plot_forecast(
            out / "forecast.png", data[target][data.index < predictions["date"].iloc[0]],
            predictions, future, target,
            f"{target}: {name} against the baselines on the test part", forecaster.season_)
    return optional_outputs(JobResult(metrics, lines, out, written),
                            figures if job.figures else {})


def series_settings(job: ForecastJob, data, record: dict) -> tuple[int, str, int]:
    """The data's season, target column and horizon, where the job leaves them open: an M4
    file's own, else the season of the index's spacing, the obvious target
    (:func:`~rnnkit.io.sources.obvious_target`) and one season when the training data's
    validation part shows one (:func:`~rnnkit.forecast.features.seasonal_horizon`)."""
    panel = data if isinstance(data, dict) else {"": data}
    season = record.get("season") or infer_season(next(iter(panel.values())).index)
    target = ("value" if record.get("format") == "m4" else record.get("target")
              or job.source.target or obvious_target(next(iter(panel.values())),
                                                     job.source.data, split_names(job.covariates)))
    horizon = record.get("horizon") or job.horizon or seasonal_horizon(
        [frame[target].to_numpy(float)[: test_split(len(frame), key, job.test_fraction,
                                                    record["test_size"])]
         for key, frame in panel.items()], season, job.val_fraction)
    return season, target, horizon


def interval_levels(text: str) -> tuple[int, ...]:
    """'80, 95' -> (80, 95): the interval levels of the job."""
    try:
        return tuple(int(level) for level in split_names(text))
    except ValueError:
        raise InputError(f"`intervals` are whole percentages such as 80,95; got {text!r}"
                         ) from None


def rounded(frame, decimals: int):
    """``frame`` with its float columns rounded to ``decimals`` (times and ids untouched)."""
    return frame.round({c: decimals for c in frame.columns if frame[c].dtype.kind == "f"})


def data_record(record: dict, data, predictions) -> dict:
    """The data's record for metrics.json: where it came from, its rows (and time span, one
    series) and the test origins scored."""
    if isinstance(data, dict):
        extent = {"rows": sum(len(frame) for frame in data.values())}
        origins = predictions[[predictions.columns[0], "origin"]]
    else:
        extent = {"rows": len(data), "first": str(data.index[0]), "last": str(data.index[-1])}
        origins = predictions[["origin"]]
    return record | extent | {"test_origins": len(origins.drop_duplicates())}


def _model_lines(metrics: dict) -> list[str]:
    """What the model read: the Forecaster's encoding, or the hybrid's seasons and network."""
    if "hybrid" in metrics:
        h = metrics["hybrid"]
        seasons = ", ".join(map(str, h["seasons"])) or "none"
        return [f"hybrid: Holt-Winters per series (seasons {seasons}), dilated LSTM "
                f"{tuple(h['dilations'])} on windows of {h['lookback']}; {h['members']} "
                f"members ({h['ensemble']} seeds x {h['snapshots']} best epochs on validation)"]
    encoding = metrics["encoding"]
    return [f"inputs {', '.join(encoding['features'])}; target {encoding['target_kind']}; "
            f"window normalisation {encoding['window_norm']}: {encoding['reason']}"]


def _selection_line(metrics: dict) -> list[str]:
    selection = metrics.get("selection")
    return [f"settings: {selection['summary']}"] if selection else []


def summary(metrics: dict, target: str) -> list[str]:
    """The printout: what was chosen, the test errors beside the baselines, the verdicts."""
    lines = [*_model_lines(metrics), *_selection_line(metrics),
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
    series = metrics["series"]
    fallback = series["fallback"]["count"]
    left = (f", {fallback} too short to learn from forecast by seasonal naive" if fallback
            else "")
    lines = [*_model_lines(metrics), *_selection_line(metrics),
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
    if series.get("better_than_snaive") is not None:
        lines.append(f"the model's MASE is below seasonal naive's on "
                     f"{series['better_than_snaive']} of {series['scored']} series")
    memory = (f", peak memory {metrics['peak_memory_mib']:,.0f} MiB"
              if "peak_memory_mib" in metrics else "")
    lines.append(f"trained and scored in {metrics['seconds']:.1f} s{memory}")
    return lines


__all__ = ["M4_HOURLY_MSIS", "data_record", "interval_levels", "load_data", "panel_summary",
           "read_data", "read_future", "reading_recipe", "rounded", "series_settings",
           "summary", "write_results"]
