"""The linear forecaster every network is scored beside: least squares on last-value windows.

The NLinear member of the family that "Are Transformers Effective for Time Series Forecasting?"
(Zeng et al., 2023) showed to beat many deep forecasters. For a series y with lookback L,
horizon H and origin t (the window's last row), with s the series' own scale:

    x_t = (y_{t-L+1} - y_t, ..., y_{t-1} - y_t, 0) / s          inputs, (L,)
    z_t = (y_{t+1} - y_t, ..., y_{t+H} - y_t) / s                targets, (H,)
    ẑ_t = x_t W + b                                              W (L, H), b (H,)
    ŷ_{t+h} = y_t + s ẑ_{t,h}

With columns known in advance (``Forecaster(known=...)``), their values at the H target
times u_t (E of them, as they are) join the inputs, x_t = (..., u_t): a linear model with
exogenous regressors, so that it is told what the network is told.

Taking the last value off makes the model level-free, and the scale s (one per series,
from its training rows) lets one (W, b) serve every series of a panel. (W, b) solve the ridge
problem over the fitting windows of every series at once, the intercept unpenalised:

    min_{W,b} Σ_t ||z_t - x_t W - b||² + λ ||W||²_F
    W = (X_cᵀ X_c + λ I)⁻¹ X_cᵀ Z_c,   b = z̄ - x̄ W      (X_c, Z_c: centred on their means)

one eigendecomposition X_cᵀX_c = V diag(e) Vᵀ gives W for every λ of a short grid,
W_λ = V diag(1/(e + λ)) Vᵀ X_cᵀ Z_c; λ is the one whose forecasts of the validation windows
have the lowest squared error (the smallest λ without validation windows). Only the sums
Σ x xᵀ, Σ x zᵀ, Σ x, Σ z are kept, so memory does not grow with the number of windows. Pure
NumPy.
"""

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnkit._checks import InputError, check_positive_int

RIDGE_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)  # times the mean eigenvalue of X_cᵀX_c


def linear_design(values: np.ndarray, lookback: int, horizon: int, scale: float,
                  windows: slice = slice(None), exog: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The inputs x_t (M, L [+ E]) and targets z_t (M, H) of the windows ``windows`` of one
    series; ``exog`` (N, E), one row per value, adds each origin's row to its inputs.

    Window i reads rows i .. i+L-1 (origin t = i + L - 1), as
    :func:`rnnkit.forecast.windows.make_windows` numbers them; windows whose targets run past
    the data get NaN targets.

    Example
    -------
    >>> x, z = linear_design(np.arange(6.0), lookback=3, horizon=2, scale=1.0)
    >>> x[0], z[0], z[-1]
    (array([-2., -1.,  0.]), array([1., 2.]), array([nan, nan]))
    """
    values = np.asarray(values, dtype=float)
    inputs = sliding_window_view(values, lookback)[windows]  # (M, L)
    last = inputs[:, -1]
    padded = np.concatenate([values, np.full(horizon, np.nan)])
    ahead = sliding_window_view(padded[lookback:], horizon)[: len(values) - lookback + 1]
    x = (inputs - last[:, None]) / scale
    if exog is not None:
        x = np.concatenate([x, np.asarray(exog, dtype=float)[lookback - 1:][windows]], axis=1)
    return x, (ahead[windows] - last[:, None]) / scale


@dataclass
class LinearModel:
    """A fitted NLinear model: ``weights`` W (L + E, H), ``bias`` b (H,), the chosen ``ridge``
    λ, and ``exog`` E, the inputs known in advance (0: none)."""

    weights: np.ndarray
    bias: np.ndarray
    ridge: float
    exog: int = 0

    @property
    def lookback(self) -> int:
        return self.weights.shape[0] - self.exog

    def predict(self, values: np.ndarray, scale: float,
                exog: np.ndarray | None = None) -> np.ndarray:
        """ŷ (N-L+1, H) from every window of one series' ``values`` (N,), the last included
        (``exog``: its known inputs, (N, E), when the model has them)."""
        x, _ = linear_design(values, self.lookback, len(self.bias), scale, exog=exog)
        last = np.asarray(values, dtype=float)[self.lookback - 1:]
        return last[:, None] + scale * (x @ self.weights + self.bias)

    def to_dict(self) -> dict:
        return {"weights": self.weights.tolist(), "bias": self.bias.tolist(),
                "ridge": self.ridge, "exog": self.exog}

    @classmethod
    def from_dict(cls, record: dict) -> "LinearModel":
        return cls(np.asarray(record["weights"], dtype=float),
                   np.asarray(record["bias"], dtype=float), float(record["ridge"]),
                   int(record.get("exog", 0)))


def fit_linear(series: list[tuple], lookback: int, horizon: int,
               grid: tuple[float, ...] = RIDGE_GRID) -> LinearModel:
    """One :class:`LinearModel` for every series: ``series`` holds (values, scale, fit windows,
    validation windows[, exog]) per series; only the windows named are read.

    Raises
    ------
    InputError
        No fitting window, or a scale that is not positive.
    """
    check_positive_int("lookback", lookback)
    check_positive_int("horizon", horizon)
    exog = 0 if len(series[0]) < 5 or series[0][4] is None else series[0][4].shape[1]
    width = lookback + exog
    sxx, sxz = np.zeros((width, width)), np.zeros((width, horizon))
    sx, sz, n = np.zeros(width), np.zeros(horizon), 0
    for values, scale, fit, _, *known in series:
        if not scale > 0:
            raise InputError(f"`scale` must be > 0, got {scale}")
        x, z = linear_design(values, lookback, horizon, scale, fit, *known)
        sxx += x.T @ x
        sxz += x.T @ z
        sx += x.sum(axis=0)
        sz += z.sum(axis=0)
        n += len(x)
    if n == 0:
        raise InputError("the linear model has no fitting window")
    mean_x, mean_z = sx / n, sz / n
    gram = sxx - n * np.outer(mean_x, mean_x)
    cross = sxz - n * np.outer(mean_x, mean_z)
    eigenvalues, vectors = np.linalg.eigh(gram)
    projected = vectors.T @ cross
    unit = max(float(np.mean(np.clip(eigenvalues, 0, None))), 1e-12)
    best = None
    for factor in grid:
        ridge = factor * unit
        weights = vectors @ (projected / (np.clip(eigenvalues, 0, None) + ridge)[:, None])
        model = LinearModel(weights, mean_z - mean_x @ weights, ridge, exog)
        error = _validation_error(model, series)
        if best is None or error < best[0]:
            best = (error, model)
    return best[1]


def _validation_error(model: LinearModel, series: list) -> float:
    """The mean squared error (scaled units) on every series' validation windows; 0 for none."""
    total, count = 0.0, 0
    for values, scale, _, val, *known in series:
        x, z = linear_design(values, model.lookback, len(model.bias), scale, val, *known)
        total += float(np.sum((x @ model.weights + model.bias - z) ** 2))
        count += z.size
    return total / count if count else 0.0


__all__ = ["RIDGE_GRID", "LinearModel", "fit_linear", "linear_design"]
