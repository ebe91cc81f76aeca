"""Forecast errors in the target's own units, and the naive baselines every model must beat.

All functions take (n, H) arrays: n forecast origins, H steps ahead; ``last`` (n,) holds the
value observed at each origin t, the one the naive forecast repeats. Pure NumPy.
"""

import numpy as np


def naive_forecast(last: np.ndarray, horizon: int) -> np.ndarray:
    """ŷ_{t+h} = y_t: tomorrow equals today (the random-walk forecast)."""
    return np.repeat(np.asarray(last, dtype=float)[:, None], horizon, axis=1)


def drift_forecast(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """ŷ_{t+h} = y_t + h (y_t - y_0) / t: the naive forecast plus the average step so far.

    ``origins`` are row positions t >= 1 in ``series`` (only rows <= t are used).
    """
    series = np.asarray(series, dtype=float)
    origins = np.asarray(origins)
    slope = (series[origins] - series[0]) / np.maximum(origins, 1)
    steps = np.arange(1, horizon + 1)
    return series[origins][:, None] + slope[:, None] * steps[None, :]


def in_sample_naive_mae(train_series: np.ndarray) -> float:
    """MASE's scale: the mean |y_t - y_{t-1}| of the one-step naive forecast on training data."""
    return float(np.mean(np.abs(np.diff(np.asarray(train_series, dtype=float)))))


def forecast_metrics(actual: np.ndarray, predicted: np.ndarray, last: np.ndarray,
                     mase_scale: float) -> dict:
    """MSE, MAE, RMSE, MAPE (%), MASE and directional accuracy over every (origin, step) pair.

    Math (e = ŷ - y over all pairs):
        MSE = mean e², MAE = mean |e|, RMSE = √MSE, MAPE = 100 · mean |e / y|,
        MASE = MAE / mean |y_t - y_{t-1}| (training part), direction = mean[sign(ŷ - y_t) =
        sign(y - y_t)] with y_t the value at the origin.
    With H > 1, ``per_step`` gives the same figures for each step h = 1..H.
    """
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    last = np.asarray(last, float)[:, None]
    result = _scores(actual, predicted, last, mase_scale)
    if actual.shape[1] > 1:
        result["per_step"] = [_scores(actual[:, [h]], predicted[:, [h]], last, mase_scale)
                              for h in range(actual.shape[1])]
    return result


def _scores(actual: np.ndarray, predicted: np.ndarray, last: np.ndarray, scale: float) -> dict:
    error = predicted - actual
    mse = float(np.mean(error**2))
    mae = float(np.mean(np.abs(error)))
    return {
        "mse": mse, "mae": mae, "rmse": float(np.sqrt(mse)),
        "mape": float(100 * np.mean(np.abs(error / actual))),
        "mase": mae / scale if scale > 0 else float("nan"),
        "directional_accuracy": float(np.mean(np.sign(predicted - last) == np.sign(actual - last))),
    }
