"""rnnkit.forecast: forecasting one series or many, scored honestly.

``Forecaster`` (an estimator over a window model: a network or a reservoir), the windows,
encodings and features it learns from, the metrics and baselines every forecast is scored
beside, backtests and walk-forward folds, panels of many series and the M4 competition's
measures.

>>> from rnnkit.forecast import Forecaster, backtest
"""

from rnnkit.forecast.backtesting import Backtest, backtest, training_part, walk_forward
from rnnkit.forecast.forecaster import Forecaster, WindowForecasts
from rnnkit.forecast.metrics import (
    diebold_mariano,
    drift_forecast,
    forecast_metrics,
    naive_forecast,
    seasonal_naive_forecast,
    skill,
)
from rnnkit.forecast.window_models import NetworkRegressor, ReservoirRegressor, WindowModel

__all__ = ["Backtest", "Forecaster", "NetworkRegressor", "ReservoirRegressor", "WindowForecasts",
           "WindowModel", "backtest", "diebold_mariano", "drift_forecast", "forecast_metrics",
           "naive_forecast", "seasonal_naive_forecast", "skill", "training_part", "walk_forward"]
