"""Anomaly likelihood: how unusual the recent surprise is against its own long-run history.

A detector's raw surprise r_t (e.g. a forecaster's error over its predictive spread) is noisy,
and its scale differs from stream to stream. The likelihood (Ahmad et al. 2017, Numenta's
detectors) asks whether the recent mean surprise is high for this stream, online:

    m_t  = mean of r over the last ``short`` rows up to t            (the recent surprise)
    μ_t, σ_t = mean and standard deviation of r over the last ``long`` rows up to t
    L_t  = Φ((m_t - μ_t) / σ_t)                                        in [0, 1]

Φ the standard normal distribution function; σ_t is at least 10⁻⁶ (1 + |μ_t|), and L_t is 0.5
(no evidence) for the first ``warmup`` rows. Every L_t reads rows <= t only: a stream scored
row by row gives the same values as the whole stream at once. NumPy and SciPy only.
"""

import numpy as np
from scipy.stats import norm

from rnnkit._checks import InputError, check_positive_int


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of the last ``window`` values up to each row (fewer at the start).

    >>> rolling_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [1.0, 1.5, 2.5, 3.5]
    """
    sums = np.concatenate([[0.0], np.cumsum(values)])
    rows = np.arange(1, len(values) + 1)
    start = np.maximum(rows - window, 0)
    return (sums[rows] - sums[start]) / (rows - start)


def surprise_z(surprise, short: int = 10, long: int = 2880) -> np.ndarray:
    """z_t = (m_t - μ_t) / σ_t for every row of the raw ``surprise`` (module docstring), so
    that L_t = Φ(z_t); its upper tail 1 - L_t is ``scipy.stats.norm.sf(z)``, exact where L_t
    rounds to 1.

    Raises
    ------
    InputError
        As :func:`anomaly_likelihood`.
    """
    r = np.asarray(surprise, dtype=np.float64)
    if r.ndim != 1 or not np.isfinite(r).all():
        raise InputError("surprise must be a 1-D array of finite values")
    check_positive_int("short", short)
    check_positive_int("long", long)
    if short > long:
        raise InputError(f"short ({short}) must not exceed long ({long})")
    recent = rolling_mean(r, short)
    mean = rolling_mean(r, long)
    spread = np.sqrt(np.maximum(rolling_mean(r * r, long) - mean ** 2, 0.0))
    spread = np.maximum(spread, 1e-6 * (1.0 + np.abs(mean)))
    return (recent - mean) / spread


def anomaly_likelihood(surprise, short: int = 10, long: int = 2880, warmup: int = 0
                       ) -> np.ndarray:
    """L_t for every row of the raw ``surprise`` (module docstring).

    Raises
    ------
    InputError
        ``surprise`` not 1-D or not finite; ``short`` or ``long`` not positive, or
        ``short`` > ``long``.

    Example
    -------
    >>> r = np.r_[np.tile([1.0, 2.0], 50), 9.0, 9.0]   # a calm stream, then two large errors
    >>> likelihood = anomaly_likelihood(r, short=2, long=50)
    >>> bool(likelihood[-1] > 0.99), bool(abs(likelihood[50] - 0.5) < 0.2)
    (True, True)
    """
    likelihood = norm.cdf(surprise_z(surprise, short, long))
    likelihood[:warmup] = 0.5
    return likelihood


__all__ = ["anomaly_likelihood", "rolling_mean", "surprise_z"]
