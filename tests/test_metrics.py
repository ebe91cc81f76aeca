"""Forecast metrics and baselines against hand-computed values."""

import numpy as np
import pytest

from rnnkit.metrics import drift_forecast, forecast_metrics, in_sample_naive_mae, naive_forecast


def test_metrics_by_hand():
    actual = np.array([[10.0], [12.0], [9.0]])
    predicted = np.array([[11.0], [11.0], [9.5]])
    last = np.array([10.5, 11.0, 10.0])
    m = forecast_metrics(actual, predicted, last, mase_scale=2.0)
    errors = np.array([1.0, -1.0, 0.5])
    assert m["mse"] == pytest.approx(np.mean(errors**2))
    assert m["mae"] == pytest.approx(2.5 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2.25 / 3))
    assert m["mape"] == pytest.approx(100 * np.mean([1 / 10, 1 / 12, 0.5 / 9]))
    assert m["mase"] == pytest.approx((2.5 / 3) / 2.0)
    # directions from the origin: predicted (+, 0, -), actual (-, +, -): one of three agrees
    assert m["directional_accuracy"] == pytest.approx(1 / 3)
    assert "per_step" not in m


def test_multi_step_metrics_average_every_pair_and_report_each_step():
    actual = np.array([[1.0, 2.0], [3.0, 5.0]])
    predicted = np.array([[1.0, 3.0], [2.0, 5.0]])
    m = forecast_metrics(actual, predicted, np.array([1.0, 3.0]), 1.0)
    assert m["mae"] == pytest.approx(0.5)
    assert [s["mae"] for s in m["per_step"]] == pytest.approx([0.5, 0.5])
    assert [s["mse"] for s in m["per_step"]] == pytest.approx([0.5, 0.5])


def test_baselines():
    series = np.array([1.0, 2.0, 4.0, 7.0])
    assert naive_forecast(np.array([4.0, 7.0]), 2).tolist() == [[4.0, 4.0], [7.0, 7.0]]
    # drift from row 0 to the origin: slope (7 - 1) / 3 = 2 per step
    assert drift_forecast(series, np.array([3]), 2).tolist() == [[9.0, 11.0]]
    assert in_sample_naive_mae(series) == pytest.approx((1 + 2 + 3) / 3)
