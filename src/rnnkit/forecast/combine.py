"""The forecast a Forecaster hands out: the network stacked with simple forecasts, and intervals.

Stacking (the hybrid idea that won M4): at every origin t of the validation part (the end of
the training data, never the test part), the components k = network, linear model
(:mod:`rnnkit.forecast.linear`), seasonal naive and naive forecasts ŷ^k_{t+h} (so that the
combination can always fall back to a simple forecast); for each step h the
weights solve

    min_w Σ_t (Σ_k w_k ŷ^k_{t+h} - y_{t+h})² / s²      subject to w_k >= 0, Σ_k w_k = 1

(s: the series' MASE scale, so that series of different sizes count alike), and the forecast is
ŷ_{t+h} = Σ_k w_{h,k} ŷ^k_{t+h}. Intervals are split-conformal, normalised by the local
scale σ_t = mean |y_i - y_{i-1}| over the origin's input window (at least 1% of s), so that
they widen with the level and the volatility the window shows: with r = |y - ŷ| / σ_t over the
validation origins of step h (n of them, of every series), the half-width at level α is σ_t
times q_h, the ceil((n + 1) α)-th smallest r, so that a new error exchangeable with them falls
inside with probability >= α.
"""

import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rnnkit._checks import InputError
from rnnkit.forecast.metrics import naive_forecast, seasonal_naive_forecast

COMPONENTS = ("network", "linear", "snaive", "naive")
COMBINE_CHOICES = ("auto", "none")


@dataclass(frozen=True)
class WindowForecasts:
    """Forecasts from origins t of a series: values ``mean`` (M, H) and member ``spread``.

    ``origin_rows`` are the origins' rows in the frame given to ``predict_windows``; ``last``
    and ``series`` are the target's values at the origins and on every usable row; the
    origins are the series' windows from ``first`` on (the earlier ones were not asked). When the
    forecast is a combination, ``network`` holds the network's own forecasts; ``linear`` the
    linear model's; ``bands`` the interval (lower, upper) of ``mean`` by level (e.g. 95).
    """

    last: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    origin_rows: np.ndarray
    series: np.ndarray
    network: np.ndarray | None = None
    linear: np.ndarray | None = None
    bands: dict = field(default_factory=dict)
    first: int = 0
    known: np.ndarray | None = None  # the known columns' values ahead of every usable row

    @property
    def windowed(self) -> np.ndarray:
        """The usable rows the forecast windows read: ``series`` from window ``first`` on."""
        return self.series[self.first:]


def simplex_weights(errors: np.ndarray) -> np.ndarray:
    """The weights w >= 0, Σ w = 1 minimising ||E w||², for the errors E (n, K) of K forecasts.

    Since Σ w = 1, E w is the error of the combined forecast. On a support S the minimum under
    Σ w = 1 alone is w_S ∝ G_S⁻¹ 1 (G = EᵀE, plus 10⁻⁹ of its mean diagonal so that equal or
    exactly offsetting forecasts still give one answer); the answer is the best feasible one
    over every support (2^K - 1 of them: K is small).

    Example
    -------
    >>> simplex_weights(np.array([[1.0, -1.0], [1.0, -1.0]]))
    array([0.5, 0.5])
    """
    gram = errors.T @ errors
    k = gram.shape[0]
    gram = gram + (1e-9 * np.trace(gram) / k + 1e-300) * np.eye(k)
    best = (math.inf, np.eye(k)[0])
    for size in range(1, k + 1):
        for support in itertools.combinations(range(k), size):
            inverse = np.linalg.solve(gram[np.ix_(support, support)], np.ones(size))
            total = inverse.sum()
            if total <= 0 or (inverse / total < -1e-12).any():
                continue
            weights = np.zeros(k)
            weights[list(support)] = np.clip(inverse / total, 0, None)
            weights /= weights.sum()
            loss = float(weights @ gram @ weights)
            if loss < best[0] - 1e-12 * max(abs(loss), 1.0):
                best = (loss, weights)
    return best[1]


SIMPLEX_STEP = 0.05  # the grid of weights searched when the criterion is the absolute error


def simplex_grid(k: int, step: float = SIMPLEX_STEP) -> np.ndarray:
    """Every w >= 0 with Σ w = 1 on a grid of ``step``: (P, k), P = C(1/step + k - 1, k - 1).

    >>> simplex_grid(2, 0.5).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    """
    n = round(1 / step)
    points = [np.diff([0, *cuts, n + k]) - 1  # stars and bars: k - 1 bars among n + k - 1
              for cuts in itertools.combinations(range(1, n + k), k - 1)]
    return np.array(points, dtype=np.float64)[::-1] / n  # the first component's corner first


def simplex_weights_mae(errors: np.ndarray, step: float = SIMPLEX_STEP) -> np.ndarray:
    """The weights on the simplex grid minimising mean |E w| (the absolute error of the
    combined forecast: the criterion of M4's sMAPE and MASE), ties to the first."""
    grid = simplex_grid(errors.shape[1], step)
    return grid[int(np.argmin(np.abs(errors @ grid.T).mean(axis=0)))]


def conformal_quantile(residuals: np.ndarray, level: int) -> float:
    """The ceil((n + 1) level/100)-th smallest |residual| (the largest when that is past n).

    Example
    -------
    >>> conformal_quantile(np.arange(1.0, 20.0), 90)
    18.0
    """
    ordered = np.sort(np.abs(np.asarray(residuals, dtype=float)))
    rank = math.ceil((len(ordered) + 1) * level / 100)
    return float(ordered[min(rank, len(ordered)) - 1])


@dataclass
class Combination:
    """Weights (H, K) of ``components`` per step, conformal half-widths q_h per level (H,) in
    units of the local scale σ_t, and each component's validation errors (in MASE scales)."""

    components: tuple[str, ...]
    weights: np.ndarray
    quantiles: dict[int, np.ndarray]
    validation: dict

    def combine(self, forecasts: dict[str, np.ndarray]) -> np.ndarray:
        """Σ_k w_{h,k} ŷ^k for forecasts (M, H) by component."""
        return sum(forecasts[name] * self.weights[:, k]
                   for k, name in enumerate(self.components))

    def bands(self, mean: np.ndarray, scale: np.ndarray) -> dict[int, tuple[np.ndarray, ...]]:
        """(lower, upper) around ``mean`` (M, H) by level, with the local scales σ_t (M,)."""
        return {level: (mean - scale[:, None] * q, mean + scale[:, None] * q)
                for level, q in self.quantiles.items()}

    def to_dict(self) -> dict:
        """As JSON: the weights per step and their mean, half-widths, validation errors."""
        return {"components": list(self.components),
                "weights": [dict(zip(self.components, map(float, row), strict=True))
                            for row in self.weights],
                "mean_weights": dict(zip(self.components,
                                         map(float, self.weights.mean(axis=0)), strict=True)),
                "quantiles": {str(level): q.tolist() for level, q in self.quantiles.items()},
                "validation": self.validation}

    @classmethod
    def from_dict(cls, record: dict) -> "Combination":
        names = tuple(record["components"])
        return cls(names, np.array([[row[n] for n in names] for row in record["weights"]]),
                   {int(level): np.asarray(q, dtype=float)
                    for level, q in record["quantiles"].items()}, record["validation"])


def series_scale(forecaster, key: str) -> float:
    """The series' MASE scale (its training rows' seasonal naive error), or 1 when it is 0."""
    scale = float(forecaster.mase_scales_[key])
    return scale if math.isfinite(scale) and scale > 0 else 1.0


def local_scale(values: np.ndarray, lookback: int, floor: float) -> np.ndarray:
    """σ_t = max(mean |y_i - y_{i-1}| over each input window of ``values``, ``floor``): (N-L+1,).

    Example
    -------
    >>> local_scale(np.array([0.0, 1.0, 3.0, 3.0]), lookback=3, floor=0.1)
    array([1.5, 1. ])
    """
    steps = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(values)))])
    window = (steps[lookback - 1:] - steps[: len(steps) - lookback + 1]) / max(lookback - 1, 1)
    return np.maximum(window, floor)


def _local(forecaster, key: str, windows: WindowForecasts) -> np.ndarray:
    return local_scale(windows.windowed, forecaster.lookback,
                       0.01 * series_scale(forecaster, key))


def _components(forecaster, key: str, frame, windows: WindowForecasts) -> dict:
    """Each component's forecasts (M, H) from every window of one series."""
    raw = frame[forecaster.target].to_numpy(float)
    return {"network": windows.mean,
            "linear": forecaster.linear_.predict(
                windows.windowed, series_scale(forecaster, key),
                None if windows.known is None else windows.known[windows.first:]),
            "snaive": seasonal_naive_forecast(raw, windows.origin_rows, forecaster.horizon,
                                              forecaster.season_),
            "naive": naive_forecast(windows.last, forecaster.horizon)}


def stacked(forecaster, key: str, frame, windows: WindowForecasts) -> WindowForecasts:
    """``windows`` (the network's) as the Forecaster hands them out: with the linear model's
    forecasts and, once fitted, the combination and its intervals. A model saved before
    either existed gives the network alone."""
    if getattr(forecaster, "linear_", None) is None:
        return windows
    parts = _components(forecaster, key, frame, windows)
    combination = forecaster.combination_
    if combination is None:
        return replace(windows, linear=parts["linear"])
    mean = combination.combine(parts)
    return replace(windows, mean=mean, linear=parts["linear"],
                   network=windows.mean if len(combination.components) > 1 else None,
                   bands=combination.bands(mean, _local(forecaster, key, windows)))


def fallback_forecasts(forecaster, key: str, frame, origins_from: int = 0) -> WindowForecasts:
    """A series too short to learn from (``fallback_``): the seasonal naive forecast from its
    origins at ``origins_from`` and later, handed out as the model's, the network's and the
    linear model's, with the combination's intervals on the local scale σ_t of its last
    min(lookback, t + 1) rows."""
    raw = frame[forecaster.target].to_numpy(float)
    rows = np.arange(min(max(origins_from, 0), len(raw) - 1), len(raw))
    mean = seasonal_naive_forecast(raw, rows, forecaster.horizon, forecaster.season_)
    combination = forecaster.combination_
    width = min(forecaster.lookback, int(rows[0]) + 1)
    scale = local_scale(raw[rows[0] - width + 1:], width, 0.01 * series_scale(forecaster, key))
    return WindowForecasts(
        last=raw[rows], mean=mean, spread=np.zeros_like(mean), origin_rows=rows, series=raw,
        network=mean if combination is not None and len(combination.components) > 1 else None,
        linear=mean, bands={} if combination is None else combination.bands(mean, scale))


def fit_combination(forecaster, panel: dict, val_origins: dict[str, slice]) -> Combination:
    """The weights and conformal half-widths from the validation origins of every series.

    ``panel`` holds the training frames, ``val_origins`` the rows of each series' validation
    origins (their targets all lie in its validation part); nothing past the training part is
    read. With ``combine="none"`` the network alone is weighted (1) and calibrated; without
    validation origins there are no intervals.
    """
    names = COMPONENTS if forecaster.combine == "auto" else ("network",)
    # the network alone (no combination yet), from the first validation origin on
    windows = forecaster.predict_panel(panel, {key: s.start for key, s in val_origins.items()})
    errors, local, horizon = [], [], forecaster.horizon
    for key, frame in panel.items():
        rows = val_origins[key]
        if rows.stop <= rows.start:
            continue
        start = windows[key].origin_rows[0]
        val = slice(rows.start - start, rows.stop - start)
        parts = _components(forecaster, key, frame, windows[key])
        raw = frame[forecaster.target].to_numpy(float)
        actual = sliding_window_view(raw[1:], horizon)[rows]  # y_{t+1} .. y_{t+H}, origin t
        scale = series_scale(forecaster, key)
        errors.append(np.stack([(parts[n][val] - actual) / scale for n in names], axis=-1))
        local.append(_local(forecaster, key, windows[key])[val] / scale)
    if not errors:
        weights = np.zeros((horizon, len(names)))
        weights[:, 0] = 1.0
        return Combination(names, weights, {}, {})
    errors = np.concatenate(errors)  # (n, H, K)
    # many series are scored by absolute errors (M4's sMAPE, MASE), as they train on MAE
    solve = simplex_weights_mae if len(panel) > 1 else simplex_weights
    weights = np.stack([solve(errors[:, h]) for h in range(horizon)])
    residuals = np.einsum("nhk,hk->nh", errors, weights)
    normalised = residuals / np.concatenate(local)[:, None]  # (y - ŷ) / σ_t
    quantiles = {level: np.array([conformal_quantile(normalised[:, h], level)
                                  for h in range(horizon)]) for level in forecaster.intervals}
    validation = {name: _errors(errors[..., k]) for k, name in enumerate(names)}
    if len(names) > 1:
        validation["combined"] = _errors(residuals)
    return Combination(names, weights, quantiles, validation | {"origins": len(errors)})


def _errors(scaled: np.ndarray) -> dict:
    """MAE and MSE of errors in MASE-scale units."""
    return {"mae": float(np.mean(np.abs(scaled))), "mse": float(np.mean(scaled**2))}


def check_intervals(levels) -> tuple[int, ...]:
    """The interval levels as sorted distinct ints in 1 .. 99 (percent)."""
    levels = tuple(sorted({int(level) for level in levels}))
    bad = [level for level in levels if not 0 < level < 100]
    if bad:
        raise InputError(f"`intervals` are levels in percent, 1 .. 99; got {bad[0]}")
    return levels


__all__ = ["COMBINE_CHOICES", "COMPONENTS", "Combination", "WindowForecasts", "check_intervals",
           "conformal_quantile", "fallback_forecasts", "fit_combination",
           "local_scale", "series_scale", "simplex_weights", "stacked"]
