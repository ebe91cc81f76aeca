"""StreamDetector: a forecaster that knows how surprised it should be, turned into an online
anomaly score in [0, 1].

For a stream x_1 .. x_n (rows in arrival order), with p = min(⌊0.15 n⌋, 750) probationary rows
(NAB's rule, :func:`~rnnkit.anomaly.nab.probation_rows`):

    r_t = |d_t - μ_t| / σ_t                  the forecaster's error in its own spreads
                                             (:mod:`.network`)
    e_t = min(c, -log10 P(|N(0, 1)| >= r_t))  the surprise: how far into the forecaster's
                                             tails row t fell, in decades, at most c
    z_t = (m_t - μ_t^e) / σ_t^e              the recent mean surprise against its long-run
                                             distribution (:func:`.likelihood.surprise_z`)
    D_t = -log10(1 - Φ(z_t)),  s_t = D_t / (D_t + 5)
                                             the likelihood in decades, put in [0, 1): 0.5
                                             is a tail probability of 10⁻⁵, and s_t never
                                             saturates, so the strongest events keep their order
    a_t = s_t if s_t > max(s_{t-q} .. s_{t-1}), else 0       (``quiet`` = q rows)

The cap c keeps one wild row from swamping the long-run statistics for thousands of rows
after it (a spike would otherwise hide a level shift that follows). a_t is the anomaly score:
an alarm sounds once, when the evidence first reaches a new height,
and the rows after it stay quiet until the evidence grows again (q = 0 keeps every s_t). Rows
before p score 0. Every a_t reads rows <= t only: the forecaster's weights at row t were
learned on rows < t, and every statistic above is a trailing one.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from rnnkit._checks import (
    InputError,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit._fields import opt
from rnnkit.anomaly.likelihood import surprise_z
from rnnkit.anomaly.nab import probation_rows
from rnnkit.anomaly.network import (
    Adaptation,
    SpreadNetwork,
    causal_forecasts,
    scaling,
    standardised,
    stream_season,
)
from rnnkit.base import Estimator

LEAST_WINDOWS = 20  # training windows the probationary rows must give at least
HALF_DECADES = 5.0  # the tail probability 10^-5 scores 0.5


@dataclass(frozen=True)
class DetectorConfig:
    """The settings of :class:`StreamDetector` (its parameters, with their checks and help)."""

    lookback: int = opt(32, "rows each forecast reads (fewer when the probationary rows are "
                        "short)")
    hidden_size: int = opt(16, "hidden units of the forecaster's recurrent layer")
    cell: str = opt("gru", "the forecaster's recurrent cell", ("gru", "lstm", "rnn"))
    season: int = opt(-1, "lag of the seasonal input (the value one season before the row "
                      "forecast); -1 = found in the probationary rows' autocorrelation, 0 = none")
    adapt_every: int = opt(250, "after the probationary rows, the forecaster learns again "
                           "every this many rows; 0 = never")
    adapt_steps: int = opt(20, "optimizer steps of each such round")
    history: int = opt(2000, "each round learns on the windows of this many last rows")
    cap: float = opt(4.0, "the most surprise one row can add, in decades of the forecaster's "
                     "tail probability")
    short: int = opt(3, "rows of the recent mean surprise")
    long: int = opt(2880, "rows of the surprise's long-run distribution")
    quiet: int = opt(-1, "rows an alarm keeps quiet unless the evidence grows; -1 = the "
                     "probationary rows' count, 0 = every row keeps its score")
    seed: int = opt(0, "seeds the forecaster's weights and batches")

    def __post_init__(self) -> None:
        check_positive_int("lookback", self.lookback)
        check_positive_int("hidden_size", self.hidden_size)
        check_choice("cell", self.cell, ("gru", "lstm", "rnn"))
        if self.season != -1:
            check_non_negative_int("season", self.season)
        check_non_negative_int("adapt_every", self.adapt_every)
        check_positive_int("adapt_steps", self.adapt_steps)
        check_positive_int("history", self.history)
        check_in_range("cap", self.cap, 0.0, 300.0, low_open=True)
        check_positive_int("short", self.short)
        check_positive_int("long", self.long)
        if self.short > self.long:
            raise InputError(f"short ({self.short}) must not exceed long ({self.long})")
        if self.quiet != -1:
            check_non_negative_int("quiet", self.quiet)
        check_non_negative_int("seed", self.seed)


def tail_decades(ratio: np.ndarray, cap: float) -> np.ndarray:
    """e = min(cap, -log10 P(|N(0, 1)| >= ratio)), from the log tail (exact far out).

    >>> tail_decades(np.array([0.0, 1.959964, 40.0]), 6.0).round(3).tolist()
    [-0.0, 1.301, 6.0]
    """
    decades = -(norm.logsf(ratio) + math.log(2.0)) / math.log(10.0)
    return np.clip(decades, 0.0, cap)


def log_score(z: np.ndarray) -> np.ndarray:
    """s = D / (D + 5), D = -log10(1 - Φ(z)) from the log tail (exact for large z).

    >>> log_score(np.array([0.0, 4.2648907939, 40.0])).round(3).tolist()
    [0.057, 0.5, 0.986]
    """
    decades = np.maximum(-norm.logsf(z) / math.log(10.0), 0.0)
    return decades / (decades + HALF_DECADES)


def alarms(scores: np.ndarray, quiet: int) -> np.ndarray:
    """a_t = s_t where s_t exceeds every score of the ``quiet`` rows before it, else 0.

    >>> alarms(np.array([0.1, 0.9, 0.8, 0.95, 0.2, 0.3]), 2).tolist()
    [0.1, 0.9, 0.0, 0.95, 0.0, 0.0]
    """
    if quiet <= 0:
        return scores.copy()
    before = pd.Series(scores).rolling(quiet, min_periods=1).max().shift(1).to_numpy()
    return np.where(np.isnan(before) | (scores > before), scores, 0.0)


def scored(surprise: np.ndarray, probation: int, short: int, long: int, quiet: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """(s_t, a_t) of a raw ``surprise`` (module docstring): 0 on the probationary rows."""
    scores = log_score(surprise_z(surprise, short, long))
    scores[:probation] = 0.0
    return scores, alarms(scores, quiet)


class StreamDetector(Estimator):
    """Scores every row of a stream online (module docstring); scikit-learn's habits.

    Parameters: the fields of :class:`DetectorConfig` (each with its meaning), checked there.

    Learned attributes: ``anomaly_score_`` (a_t), ``log_score_`` (s_t), ``surprise_`` (e_t),
    ``error_ratio_`` (r_t),
    ``forecast_`` and ``spread_`` (μ_t and σ_t back in the stream's units: the expected value
    of row t and its standard deviation), ``season_``, ``probation_``, ``lookback_``.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> x = np.sin(np.arange(1200) * 2 * np.pi / 50) + 0.1 * rng.standard_normal(1200)
    >>> x[1000] += 3.0                                       # a spike
    >>> detector = StreamDetector(hidden_size=8, adapt_every=0).fit(x)
    >>> detector.detections(0.5).tolist(), detector.season_  # the spike, once it is back
    ([1001], 50)
    """

    fitted_attribute = "anomaly_score_"

    def __init__(self, lookback: int = 32, hidden_size: int = 16, cell: str = "gru",
                 season: int = -1, adapt_every: int = 250, adapt_steps: int = 20,
                 history: int = 2000, cap: float = 4.0, short: int = 3, long: int = 2880,
                 quiet: int = -1, seed: int = 0) -> None:
        self.lookback = lookback
        self.hidden_size = hidden_size
        self.cell = cell
        self.season = season
        self.adapt_every = adapt_every
        self.adapt_steps = adapt_steps
        self.history = history
        self.cap = cap
        self.short = short
        self.long = long
        self.quiet = quiet
        self.seed = seed

    def fit(self, values, probation: int | None = None) -> "StreamDetector":
        """Score every row of ``values`` (1-D, finite, in arrival order); ``probation`` rows
        (default NAB's rule) teach the forecaster before any row is scored."""
        DetectorConfig(**self.get_params())  # checks every parameter
        x = np.asarray(values, dtype=np.float64)
        if x.ndim != 1 or not np.isfinite(x).all():
            raise InputError("values must be a 1-D array of finite numbers")
        n = len(x)
        p = probation_rows(n) if probation is None else check_positive_int("probation",
                                                                           probation)
        lookback = min(self.lookback, (p - LEAST_WINDOWS) // 2)
        if lookback < 2 or p >= n:
            raise InputError(f"a stream of {n} rows is too short: its {p} probationary rows "
                             f"must give {LEAST_WINDOWS} training windows and rows to score "
                             f"(at least {2 * LEAST_WINDOWS + 4} probationary rows; NAB's "
                             f"rule gives that from {math.ceil((2 * LEAST_WINDOWS + 4) / 0.15)}"
                             " rows)")
        u = standardised(x, p)
        season = stream_season(u[:p]) if self.season == -1 else self.season
        if season >= n:
            raise InputError(f"season {season} is not shorter than the stream ({n} rows)")
        network = SpreadNetwork(2 if season else 1, self.hidden_size, self.cell, self.seed)
        how = Adaptation(every=self.adapt_every or n, steps=self.adapt_steps,
                         history=self.history)
        mean, spread = causal_forecasts(u, p, lookback, season, network, how, self.seed)
        change = np.concatenate([[0.0], np.diff(u)])
        ratio = np.abs(change - mean) / spread
        ratio[:lookback] = 0.0
        surprise = tail_decades(ratio, self.cap)
        scores, alarmed = scored(surprise, p, self.short, self.long,
                                 p if self.quiet == -1 else self.quiet)
        center, scale = scaling(x[:p])
        self.module_ = network
        self.season_, self.probation_, self.lookback_ = season, p, lookback
        self.error_ratio_, self.surprise_ = ratio, surprise
        self.forecast_ = center + (np.concatenate([[np.nan], u[:-1]]) + mean) * scale
        self.spread_ = spread * scale
        self.log_score_ = scores
        self.anomaly_score_ = alarmed
        return self

    def detections(self, threshold: float) -> np.ndarray:
        """The rows whose anomaly score is at least ``threshold``."""
        self.check_fitted()
        return np.flatnonzero(self.anomaly_score_ >= threshold)


__all__ = ["DetectorConfig", "StreamDetector", "alarms", "log_score", "scored", "tail_decades"]
