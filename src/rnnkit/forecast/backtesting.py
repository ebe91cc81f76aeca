"""Scoring a Forecaster on the data it never saw, beside the baselines every model must beat.

The test part is the last rows of the series; every forecaster, the model (the combination
the Forecaster hands out), the network alone, the linear model and the naive, seasonal-naive
and drift baselines, is scored on the same (origin, step) targets, and a Diebold-Mariano test
says whether a difference from a baseline is more than noise.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from rnnkit._checks import InputError, check_positive_int
from rnnkit.forecast.forecaster import Forecaster
from rnnkit.forecast.m4 import naive2_forecast, owa
from rnnkit.forecast.metrics import (
    diebold_mariano,
    drift_forecast,
    forecast_metrics,
    interval_scores,
    naive_forecast,
    seasonal_naive_forecast,
    skill,
    verdict,
)
from rnnkit.forecast.panels import test_split, to_panel

BASELINES = ("naive", "snaive", "drift")
SCOREBOARD = ("model", "network", "linear", *BASELINES, "naive2")  # in the order shown
TESTED_AGAINST = ("naive", "snaive", "linear")  # the Diebold-Mariano tests of model and network


@dataclass
class Backtest:
    """The test-part figures of one model beside the baselines, and its forecasts (long form).

    ``per_series`` (many series only): one row per series with its metrics.
    """

    metrics: dict
    predictions: pd.DataFrame
    forecaster: Forecaster
    per_series: pd.DataFrame | None = None

    def plot(self, data=None, path=None):
        """The test part's forecasts beside the baselines, as a matplotlib Figure (written to
        ``path`` too when given): one series as ``rnnkit forecast``'s forecast.png (with the
        end of the training part when ``data`` is given), many as its series.png."""
        from rnnkit.io.plots import plot_forecast, plot_series_examples

        target = self.forecaster.target
        if self.per_series is not None:
            return plot_series_examples(path, self.predictions, self.per_series, target)
        history = pd.Series(dtype=float)
        if data is not None:
            values = to_panel(self.forecaster, data)[""][target]
            history = values[values.index < self.predictions["date"].iloc[0]]
        return plot_forecast(path, history, self.predictions, None, target,
                             f"{target}: the forecast against the baselines on the test part",
                             self.forecaster.season_)


def backtest(forecaster: Forecaster, data, test_fraction: float = 0.2, refit: bool = True,
             test_size: int | dict[str, int] = 0, **fit_kwargs) -> Backtest:
    """Fit on the first rows; score the model and the baselines on the last rows of each series.

    The test part is each series' last ``test_size`` rows (one number, or one per series id),
    or else its last ``test_fraction``
    (the tutorial's ceil(0.8 N) split). Scored origins are those whose H targets all lie in the
    test part (:func:`~rnnkit.forecast.windows.window_parts`), the same for every forecaster.
    Metrics are in the target's units; "skill" is 1 - MSE_model / MSE_naive (> 0: lower error than
    naive), and "significance" holds the Diebold-Mariano test of the model against naive,
    seasonal naive and the linear model with its verdict at 5% ("significance_network": the
    network alone's, when the model is a combination; "combination": its weights). The model's
    block has its intervals' coverage_<level> and msis. ``predictions`` has one row per
    (origin, step): origin, step, date, actual, model, network (a combination's), linear,
    naive, snaive, drift, lo_<level> and hi_<level> (and spread for an ensemble).

    Many series (a dict, or a long frame with the forecaster's ``id_column``): one model is
    fitted on every series' training part; each series is scored as above, and the metrics are
    the means over series (the M4 competition's way), with ``naive2`` and the OWA against it
    when every series has one test origin (the competition's setting); ``predictions`` gains
    the series id as its first column and ``per_series`` holds each series' metrics.
    """
    panel = to_panel(forecaster, data)
    ends = {key: test_split(len(frame), key, test_fraction, test_size)
            for key, frame in panel.items()}
    if refit:
        forecaster.fit(training_part(forecaster, data, test_fraction, test_size), **fit_kwargs)
    known = [key for key in panel if key in forecaster.series_ + forecaster.fallback_]
    # the first origin whose targets all lie in the test part is the last training row
    windows = forecaster.predict_panel({key: panel[key] for key in known},
                                       {key: ends[key] - 1 for key in known})
    scored = {key: _score(forecaster, key, panel[key], windows[key], ends[key]) for key in known
              if len(panel[key]) - ends[key] >= forecaster.horizon}  # else: no test origin
    if list(scored) == [""]:
        result = Backtest(*scored[""], forecaster)
    else:
        result = _panel_backtest(forecaster, panel, scored)
    if getattr(forecaster, "combination_", None) is not None:
        result.metrics["combination"] = forecaster.combination_.to_dict()
    return result


def training_part(forecaster: Forecaster, data, test_fraction: float = 0.2,
                  test_size: int | dict[str, int] = 0) -> dict[str, pd.DataFrame]:
    """Each series' rows before its test part (what ``backtest`` fits on), by series id.

    The test part is cut as :func:`backtest` cuts it; what a tuning study or a torchrun job
    trains on, so that the test rows are never seen.
    """
    panel = to_panel(forecaster, data)
    return {key: frame.iloc[: test_split(len(frame), key, test_fraction, test_size)]
            for key, frame in panel.items()}


def _score(forecaster: Forecaster, key: str, frame: pd.DataFrame, windows, train_end: int):
    """One series' metrics (model and baselines, significance) and its long-form predictions.

    The scored origins t are those whose targets t+1 .. t+H all lie in the test part (rows
    ``train_end`` on): train_end - 1 <= t <= N - 1 - H.
    """
    h, rows = forecaster.horizon, windows.origin_rows
    test = (rows >= train_end - 1) & (rows <= len(frame) - 1 - h)
    origin_rows = rows[test]
    raw = frame[forecaster.target].to_numpy(float)
    actual = sliding_window_view(raw[1:], h)[origin_rows]  # p_{t+1} .. p_{t+h}
    last = windows.last[test]
    # the baselines see the whole raw series up to each origin, whatever the model's inputs
    forecasts = {"model": windows.mean[test]}
    forecasts |= {} if windows.network is None else {"network": windows.network[test]}
    forecasts |= {} if windows.linear is None else {"linear": windows.linear[test]}
    forecasts |= {"naive": naive_forecast(last, h),
                  "snaive": seasonal_naive_forecast(raw, origin_rows, h, forecaster.season_),
                  "drift": drift_forecast(raw, origin_rows, h)}
    if len(origin_rows) == 1:  # the competition's setting: Naive2 from the training part
        forecasts["naive2"] = naive2_forecast(raw[: origin_rows[0] + 1], h,
                                              forecaster.season_)[None]
    scale = forecaster.mase_scales_[key]
    metrics = {who: forecast_metrics(actual, f, last, scale) for who, f in forecasts.items()}
    for level, (lower, upper) in windows.bands.items():
        metrics["model"] |= interval_scores(actual, lower[test], upper[test], scale, level)
    metrics["skill"] = skill(metrics["model"]["mse"], metrics["naive"]["mse"])
    metrics["season"] = forecaster.season_
    for who, name in (("model", "significance"), ("network", "significance_network")):
        if who in forecasts:
            metrics[name] = _significance(forecasts, who, actual, h)
    n = len(origin_rows)
    steps = np.tile(np.arange(1, h + 1), n)
    rows = np.repeat(origin_rows, h) + steps
    predictions = pd.DataFrame({"origin": frame.index[np.repeat(origin_rows, h)], "step": steps,
                                "date": frame.index[rows], "actual": actual.ravel()}
                               | {who: f.ravel() for who, f in forecasts.items()})
    for level, (lower, upper) in windows.bands.items():
        predictions[f"lo_{level}"], predictions[f"hi_{level}"] = (lower[test].ravel(),
                                                                  upper[test].ravel())
    if forecaster.ensemble > 1:
        predictions["spread"] = windows.spread[test].ravel()
    return metrics, predictions


def _significance(forecasts: dict, who: str, actual: np.ndarray, h: int) -> dict:
    """Diebold-Mariano tests of forecaster ``who`` against naive, snaive and linear."""
    result, n = {}, len(actual)
    for baseline in (b for b in TESTED_AGAINST if b in forecasts):
        if n <= h:  # the test needs more origins than the horizon over which errors overlap
            result[baseline] = {"statistic": None, "p_value": None, "n": n,
                                "verdict": f"not tested ({n} origins; the test needs more "
                                           f"than {h})"}
            continue
        test_result = diebold_mariano(forecasts[who] - actual, forecasts[baseline] - actual, h)
        result[baseline] = test_result | {"verdict": verdict(test_result)}
    return result


SCORES = ("mse", "mae", "rmse", "mape", "smape", "mase", "directional_accuracy")


def _panel_backtest(forecaster: Forecaster, panel: dict, scored: dict) -> Backtest:
    """Many series: each one's metrics as a row, their means over series, OWA against Naive2."""
    first = next(iter(scored.values()))[0]
    who = [w for w in SCOREBOARD if w in first]
    names = {w: [name for name in first[w] if name != "per_step"] for w in who}
    rows = []
    for key, (metrics, _) in scored.items():
        row = {"series": key}
        for w in who:
            row |= {f"{w}_{name}": metrics[w][name] for name in names[w]}
        for prefix, tests in (("", "significance"), ("network_", "significance_network")):
            for baseline, test in metrics.get(tests, {}).items():
                row |= {f"{prefix}p_vs_{baseline}": test["p_value"],
                        f"{prefix}vs_{baseline}": test["verdict"]}
        rows.append(row)
    per_series = pd.DataFrame(rows)
    metrics = {w: {name: _mean(per_series[f"{w}_{name}"]) for name in names[w]} for w in who}
    if "naive2" in who:
        for w in who:
            metrics[w]["owa"] = owa(metrics[w]["smape"], metrics[w]["mase"],
                                    metrics["naive2"]["smape"], metrics["naive2"]["mase"])
    metrics["skill"] = skill(metrics["model"]["mse"], metrics["naive"]["mse"])
    metrics["season"] = forecaster.season_
    fallback = [key for key in scored if key in forecaster.fallback_]
    metrics["series"] = {"scored": len(scored), "in_data": len(panel),
                         "better_than_snaive": _better(per_series, "model", "snaive"),
                         "left_out": [key for key in panel if key not in scored],
                         "fallback": {"forecast": "snaive", "count": len(fallback),
                                      "series": fallback}}
    for prefix, name in (("vs_", "significance"), ("network_vs_", "significance_network")):
        tested = per_series[[c for c in per_series if c.startswith(prefix)]]
        if len(tested.columns):
            metrics[name] = {c[len(prefix):]: tested[c].value_counts().to_dict()
                             for c in tested}
    column = forecaster.id_column or "series"
    predictions = pd.concat([p.assign(**{column: key})[[column, *p.columns]]
                             for key, (_, p) in scored.items()], ignore_index=True)
    return Backtest(metrics, predictions, forecaster, per_series.rename(
        columns={"series": column}))


def _better(per_series: pd.DataFrame, who: str, than: str) -> int | None:
    """How many series ``who`` forecasts with a lower MASE than ``than`` (None without MASE)."""
    if per_series[f"{who}_mase"].isna().all():
        return None
    return int((per_series[f"{who}_mase"] < per_series[f"{than}_mase"]).sum())


def _mean(values: pd.Series) -> float | None:
    """The mean over series, or None when a series has it undefined (e.g. MAPE at a zero)."""
    return None if values.isna().any() else float(values.mean())


def walk_forward(forecaster: Forecaster, data, folds: int = 3, test_fraction: float = 0.2,
                 **fit_kwargs) -> dict:
    """Expanding-window backtest: K folds each test on the next block after their training rows.

    The last ``test_fraction`` of each series' rows is cut into ``folds`` consecutive blocks;
    fold k trains on everything before block k (a fresh model with the same parameters; one
    model over every series, for many) and tests on block k. Returns per-fold metrics and,
    per forecaster and metric, the mean and the spread (standard deviation) over folds (None
    where a fold's metric is undefined).
    """
    check_positive_int("folds", folds)
    panel = to_panel(forecaster, data)
    blocks = {}
    for key, frame in panel.items():
        n = len(frame)
        blocks[key] = (n - math.ceil(n * (1 - test_fraction))) // folds
        if blocks[key] < forecaster.horizon:
            raise InputError(f"folds={folds}: test blocks of {blocks[key]} rows"
                             f"{' in series ' + key if key else ''} are shorter than "
                             f"horizon={forecaster.horizon}")
    per_fold = []
    for k in range(folds):
        cut = {key: frame.iloc[: len(frame) - (folds - 1 - k) * blocks[key]]
               for key, frame in panel.items()}
        fold = backtest(Forecaster(**forecaster.get_params()), cut, test_size=blocks,
                        **fit_kwargs)
        per_fold.append(fold.metrics)
    summary = {}
    for who in (w for w in SCOREBOARD if all(w in fold for fold in per_fold)):
        summary[who] = {}
        for name in SCORES:
            values = [f[who][name] for f in per_fold]
            defined = None not in values
            summary[who][name] = {"mean": float(np.mean(values)) if defined else None,
                                  "std": float(np.std(values)) if defined else None}
    return {"folds": per_fold, "summary": summary}

__all__ = ["BASELINES", "SCOREBOARD", "Backtest", "backtest", "training_part", "walk_forward"]
