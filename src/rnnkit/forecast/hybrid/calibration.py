"""What the hybrid learns from its validation forecasts: a weight per series and the intervals.

Both from the forecasts at the origins whose targets lie in each series' validation part (its
last training values, which the networks never fit: the last H, one origin, for many series),
nothing past the training part:

- **a weight per series** on the hybrid against seasonal naive, so that a series the
  network forecasts worse than its own last season (a perfectly repeating day, say) is handed
  the simple forecast (the fallback a stacked forecast always has), by the M4 competition's
  measure of a forecast f, sMAPE and MAE each relative to seasonal naive's s:

      c_i(f) = sMAPE_i(f) / sMAPE_i(s) + MAE_i(f) / MAE_i(s)
      w_i    = argmin over w in {0, 0.1, ..., 1} of c_i(w ŷ_i + (1 - w) s_i)

  (ties to the larger w); the forecast is ŷ = w ŷ^hybrid + (1 - w) s;
- **normalised split-conformal intervals** (Papadopoulos et al. 2008) per step h over the
  series, the error's expected size σ the geometric mean of two estimates of it: the
  network's own (half its central quantile band) and the series' (its MASE scale s_i, the
  mean absolute seasonal difference of the values before the origin):

      σ_{i,h} = sqrt((hi_{i,h} - lo_{i,h}) / 2 · s_i)
      q_h     = the ceil((n + 1) α)-th smallest |y_{i,h} - ŷ_{i,h}| / σ_{i,h} over the series
      band    = [max(ŷ - q_h σ, 0), ŷ + q_h σ]

  so that a new error exchangeable with the validation errors falls inside with probability
  >= α; σ narrows the band where the network is sure or the series is calm (a repeating day)
  and widens it where either says the error will be large.
"""

import math

import numpy as np

WEIGHTS = np.arange(11) / 10  # the weights on the hybrid searched per series: 0, 0.1, .., 1


def series_weights(point: np.ndarray, simple: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """w_i per series (module docstring) from the validation forecasts (S, H) of the hybrid
    (``point``) and of seasonal naive (``simple``) and the values (``actual``).

    >>> actual = np.array([[1.0, 2.0], [1.0, 2.0]])
    >>> series_weights(actual, actual + 1, actual).tolist(), series_weights(
    ...     actual + 1, actual, actual).tolist()
    ([1.0, 1.0], [0.0, 0.0])
    """
    combined = (WEIGHTS[:, None, None] * point + (1 - WEIGHTS[:, None, None]) * simple)
    errors = np.abs(combined - actual)  # (weights, S, H)
    smape = (2 * errors / np.maximum(np.abs(actual) + np.abs(combined), 1e-300)).mean(axis=-1)
    mae = errors.mean(axis=-1)
    tiny = 1e-12 * np.abs(actual).mean(axis=-1)  # seasonal naive exact: any error counts
    criterion = smape / (smape[0] + 1e-12) + mae / (mae[0] + tiny + 1e-300)
    best = len(WEIGHTS) - 1 - np.argmin(criterion[::-1], axis=0)  # ties to the larger weight
    return WEIGHTS[best]


def error_sizes(lower: np.ndarray, upper: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """σ = sqrt((upper - lower) / 2 · scale) per (series, step) (module docstring), with
    ``scale`` (S,) the series' MASE scales; at least 10⁻⁹ of the band's centre.

    >>> error_sizes(np.array([[1.0, 0.0]]), np.array([[9.0, 8.0]]), np.array([1.0])).tolist()
    [[2.0, 2.0]]
    """
    sigma = np.sqrt(np.clip(upper - lower, 0, None) / 2 * scale[:, None])
    return np.maximum(sigma, 1e-9 * np.abs(upper + lower) / 2 + 1e-300)


def conformal_quantiles(errors: np.ndarray, sigma: np.ndarray, level: int) -> np.ndarray:
    """q_h (H,): the ceil((n + 1) α)-th smallest |error| / σ over the series for each step
    (module docstring); with fewer than 20 series the steps are pooled (one q for all h).

    >>> errors = np.arange(1.0, 100.0)[:, None]
    >>> conformal_quantiles(errors, np.ones_like(errors), 90).tolist()
    [90.0]
    """
    scores = np.abs(errors) / sigma
    if len(scores) < 20:
        scores = np.repeat(scores.reshape(-1, 1), scores.shape[1], axis=1)
    ordered = np.sort(scores, axis=0)
    rank = min(math.ceil((len(ordered) + 1) * level / 100), len(ordered))
    return ordered[rank - 1]


__all__ = ["WEIGHTS", "conformal_quantiles", "error_sizes", "series_weights"]
