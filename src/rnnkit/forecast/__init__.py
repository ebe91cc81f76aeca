"""rnnkit.forecast: forecasting one series or many, scored honestly.

``Forecaster`` (an estimator over a window model: a network or a reservoir, stacked with a
least-squares linear model and seasonal naive, with conformal intervals), the windows,
target encodings and features it learns from, the metrics and baselines every forecast is
scored beside, backtests and walk-forward folds, panels of many series and the M4
competition's measures. The names below load on first use, so the NumPy-only modules
(windows, targets, metrics, m4) import without torch.

>>> from rnnkit.forecast import Forecaster, backtest
"""

from rnnkit._exports import lazy_exports

_MODULES = {
    "backtesting": ["Backtest", "backtest", "training_part", "walk_forward"],
    "combine": ["Combination", "WindowForecasts", "conformal_quantile", "simplex_weights"],
    "forecaster": ["Forecaster"],
    "linear": ["LinearModel", "fit_linear"],
    "metrics": ["diebold_mariano", "drift_forecast", "forecast_metrics", "interval_scores",
                "naive_forecast", "seasonal_naive_forecast", "skill"],
    "window_models": ["NetworkRegressor", "ReservoirRegressor", "WindowModel"],
}
_EXPORTS = {name: f"{__name__}.{module}" for module, names in _MODULES.items() for name in names}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
