"""Scoring a Forecaster on the data it never saw, beside the baselines every model must beat.

The test part is the last rows of the series; every forecaster, the model and the naive,
seasonal-naive and drift baselines, is scored on the same (origin, step) targets, and a
Diebold-Mariano test says whether a difference from a baseline is more than noise.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnkit._checks import InputError, check_positive_int
from rnnkit.data import Split, chronological_split, encode_targets, window_parts
from rnnkit.forecast import Forecaster, as_frame
from rnnkit.metrics import (
    diebold_mariano,
    drift_forecast,
    forecast_metrics,
    naive_forecast,
    seasonal_naive_forecast,
    skill,
    verdict,
)

BASELINES = ("naive", "snaive", "drift")


@dataclass
class Backtest:
    """The test-part figures of one model beside the baselines, and its forecasts (long form)."""

    metrics: dict
    predictions: pd.DataFrame
    forecaster: Forecaster


def backtest(forecaster: Forecaster, data: pd.DataFrame | pd.Series, test_fraction: float = 0.2,
             refit: bool = True, **fit_kwargs) -> Backtest:
    """Fit on the first rows; score the model and the baselines on the last ``test_fraction``.

    The test part is the last rows of ``data`` (the tutorial's ceil(0.8 N) split). Scored
    origins are those whose H targets all lie in the test part (:func:`~rnnkit.data.window_parts`),
    the same for every forecaster. Metrics are in the target's units; "skill" is
    1 - MSE_model / MSE_naive (> 0: lower error than naive), and "significance" holds the
    Diebold-Mariano test of the model against each baseline with its verdict at 5%.
    ``predictions`` has one row per (origin, step): origin, step, date, actual, model, naive,
    snaive, drift (and spread for an ensemble).
    """
    frame = as_frame(data, forecaster.target)
    split = chronological_split(len(frame), test_fraction=test_fraction, val_fraction=0.0)
    if split.train_end >= len(frame):
        raise InputError(f"test_fraction={test_fraction} leaves no test rows")
    if refit:
        forecaster.fit(frame.iloc[: split.train_end], **fit_kwargs)
    windows = forecaster.predict_windows(frame)
    h, lookback = forecaster.horizon, forecaster.lookback
    usable = len(windows.series)  # rows left after the derived features' first ones
    train_end = split.train_end - (len(frame) - usable)
    test = window_parts(Split(usable, train_end, train_end), lookback, h)["test"]
    actual = encode_targets(windows.series, lookback, h, "level")[test]  # p_{t+1} .. p_{t+h}
    last = windows.last[test]
    origin_rows = windows.origin_rows[test]
    raw = frame[forecaster.target].to_numpy(float)
    # the baselines see the whole raw series up to each origin, whatever the model's inputs
    forecasts = {"model": windows.mean[test], "naive": naive_forecast(last, h),
                 "snaive": seasonal_naive_forecast(raw, origin_rows, h, forecaster.season_),
                 "drift": drift_forecast(raw, origin_rows, h)}
    metrics = {who: forecast_metrics(actual, f, last, forecaster.mase_scale_)
               for who, f in forecasts.items()}
    metrics["skill"] = skill(metrics["model"]["mse"], metrics["naive"]["mse"])
    metrics["season"] = forecaster.season_
    metrics["significance"] = {}
    n = len(origin_rows)
    for baseline in ("naive", "snaive"):
        if n <= h:  # the test needs more origins than the horizon over which errors overlap
            metrics["significance"][baseline] = {
                "statistic": None, "p_value": None, "n": n,
                "verdict": f"not tested ({n} origins; the test needs more than {h})"}
            continue
        test_result = diebold_mariano(forecasts["model"] - actual, forecasts[baseline] - actual, h)
        metrics["significance"][baseline] = test_result | {"verdict": verdict(test_result)}
    steps = np.tile(np.arange(1, h + 1), n)
    rows = np.repeat(origin_rows, h) + steps
    predictions = pd.DataFrame({"origin": frame.index[np.repeat(origin_rows, h)], "step": steps,
                                "date": frame.index[rows], "actual": actual.ravel()}
                               | {who: f.ravel() for who, f in forecasts.items()})
    if forecaster.ensemble > 1:
        predictions["spread"] = windows.spread[test].ravel()
    return Backtest(metrics, predictions, forecaster)


def walk_forward(forecaster: Forecaster, data: pd.DataFrame | pd.Series, folds: int = 3,
                 test_fraction: float = 0.2) -> dict:
    """Expanding-window backtest: K folds each test on the next block after their training rows.

    The last ``test_fraction`` of the rows is cut into ``folds`` consecutive blocks; fold k
    trains on everything before block k (a fresh model with the same parameters) and tests on
    block k. Returns per-fold metrics and, per forecaster and metric, the mean and the spread
    (standard deviation) over folds (None where a fold's metric is undefined).
    """
    check_positive_int("folds", folds)
    frame = as_frame(data, forecaster.target)
    n = len(frame)
    test_rows = n - math.ceil(n * (1 - test_fraction))
    block = test_rows // folds
    if block < forecaster.horizon:
        raise InputError(f"folds={folds}: test blocks of {block} rows are shorter than "
                         f"horizon={forecaster.horizon}")
    per_fold = []
    for k in range(folds):
        end = n - (folds - 1 - k) * block
        fold_frame = frame.iloc[:end]
        fold = backtest(Forecaster(**forecaster.get_params()), fold_frame, block / end)
        per_fold.append(fold.metrics)
    summary = {}
    for who in ("model", *BASELINES):
        summary[who] = {}
        for name in ("mse", "mae", "rmse", "mape", "smape", "mase", "directional_accuracy"):
            values = [f[who][name] for f in per_fold]
            defined = None not in values
            summary[who][name] = {"mean": float(np.mean(values)) if defined else None,
                                  "std": float(np.std(values)) if defined else None}
    return {"folds": per_fold, "summary": summary}


__all__ = ["BASELINES", "Backtest", "backtest", "walk_forward"]
