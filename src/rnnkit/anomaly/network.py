"""The detector's forecaster: a small recurrent network that says where the next value should
be and how sure it is, learned on the stream's first rows and adapted as the stream goes on.

The stream is standardised once, by its probationary rows: u_t = (x_t - median) / scale (scale
1.4826 · MAD, else the standard deviation, else 1), clipped to ±50. Row t's inputs are u_t and,
when the stream has a season m (:func:`stream_season`), u_{t+1-m} (the value one season before
the row to predict). A window of the last L rows predicts the next change d_{t+1} = u_{t+1} - u_t
as a normal distribution,

    h_t     = RNN(inputs_{t-L+1} .. inputs_t)     (:class:`~rnnkit.nn.models.SequenceRegressor`)
    μ, ln σ = W_hy h_t + b_y
    loss    = ln σ + (d_{t+1} - μ)² / (2σ²)            (Gaussian negative log-likelihood)

and the surprise of row t+1 is its error in units of the predicted spread, |d_{t+1} - μ| / σ.

:func:`causal_forecasts` keeps the whole pass causal: the network learns on the probationary
rows (the last fifth of their windows stop it early), forecasts the next ``adapt_every`` rows,
then takes ``adapt_steps`` optimizer steps on the windows of the last ``history`` rows it has
seen, forecasts the next rows, and so on: a forecast of row t uses weights learned from rows < t.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from rnnkit.forecast.windows import make_windows
from rnnkit.nn.models import SequenceRegressor
from rnnkit.training.batches import Batches
from rnnkit.training.loop import TrainConfig, train

CLIP = 50.0  # standardised values beyond ±CLIP are clipped: one wild value never swamps training
LOG_SPREAD = (-7.0, 5.0)  # ln σ is kept in this range (σ in standardised units)
PREDICT_BATCH = 4096  # windows per forecasting pass


class SpreadNetwork(nn.Module):
    """μ and ln σ of the next change from a window (module docstring); ``forward(x, d)``
    returns ((B, 2) predictions, the mean Gaussian negative log-likelihood, the state), the
    shape every model of :func:`rnnkit.training.loop.train` has. ``seed`` seeds the weights
    (torch's global generator is left as it was).

    >>> net = SpreadNetwork(input_size=2, hidden_size=8)
    >>> y, loss, _ = net(torch.zeros(5, 16, 2), torch.zeros(5, 1))
    >>> tuple(y.shape), bool(loss > -10)
    ((5, 2), True)
    """

    def __init__(self, input_size: int, hidden_size: int = 16, cell: str = "gru",
                 seed: int = 0) -> None:
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.body = SequenceRegressor(input_size, hidden_size, output_size=2, cell=cell)

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        y, _, state = self.body(x, None, state)
        y = torch.stack([y[:, 0], y[:, 1].clamp(*LOG_SPREAD)], dim=1)  # (B, 2): μ, ln σ
        if targets is None:
            return y, None, state
        error = (targets[:, 0] - y[:, 0]) * torch.exp(-y[:, 1])
        return y, (y[:, 1] + 0.5 * error ** 2).mean(), state


def scaling(head: np.ndarray) -> tuple[float, float]:
    """(median, scale) of the probationary rows ``head`` (module docstring).

    >>> scaling(np.array([1.0, 2.0, 3.0])), scaling(np.array([5.0, 5.0]))
    ((2.0, 1.4826), (5.0, 1.0))
    """
    center = float(np.median(head))
    scale = 1.4826 * float(np.median(np.abs(head - center)))
    scale = scale if scale > 1e-12 else float(np.std(head))
    return center, scale if scale > 1e-12 else 1.0


def standardised(values: np.ndarray, probation: int) -> np.ndarray:
    """u_t = (x_t - median) / scale, by the first ``probation`` rows, clipped to ±CLIP.

    >>> standardised(np.array([1.0, 2.0, 3.0, 100.0]), 3).round(4).tolist()
    [-0.6745, 0.0, 0.6745, 50.0]
    """
    center, scale = scaling(values[:probation])
    return np.clip((values - center) / scale, -CLIP, CLIP)


def stream_season(u: np.ndarray, least: float = 0.5) -> int:
    """The lag m in 4 .. n/2 at which the autocorrelation of ``u`` is highest, when it is at
    least ``least`` and a local peak; else 0 (no season).

    >>> t, noise = np.arange(600), np.random.default_rng(0).standard_normal(600)
    >>> stream_season(np.sin(2 * np.pi * t / 48) + 0.1 * noise), stream_season(t * 0.0)
    (48, 0)
    """
    n = len(u)
    centred = u - u.mean()
    power = float(centred @ centred)
    if n < 16 or power <= 0:
        return 0
    spectrum = np.fft.rfft(centred, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[: n // 2 + 2] / power
    lags = np.arange(4, n // 2 + 1)
    peaks = lags[(acf[lags] >= acf[lags - 1]) & (acf[lags] >= acf[lags + 1])]
    if not len(peaks):
        return 0
    best = int(peaks[np.argmax(acf[peaks])])
    return best if acf[best] >= least else 0


def stream_inputs(u: np.ndarray, season: int) -> np.ndarray:
    """Each row's inputs (n, 1 or 2): u_t, and u_{t+1-m} with a season m (u_0 before the
    stream's first season)."""
    if not season:
        return u[:, None]
    lagged = np.concatenate([np.full(season - 1, u[0]), u[: len(u) - season + 1]])
    return np.stack([u, lagged], axis=1)


@dataclass(frozen=True)
class Adaptation:
    """How the forecaster learns: on the probationary rows (``epochs``, early stopping) and
    then every ``every`` rows (``steps`` optimizer steps on the windows of the last
    ``history`` rows)."""

    epochs: int = 40
    every: int = 250
    steps: int = 20
    history: int = 2000
    batch_size: int = 64
    learning_rate: float = 3e-3


def causal_forecasts(u: np.ndarray, probation: int, lookback: int, season: int,
                     network: SpreadNetwork, how: Adaptation, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(μ, σ) of d_t for every row t >= ``lookback`` (NaN before), each from weights learned on
    rows < t only after the probationary rows (module docstring)."""
    steps = np.concatenate([[0.0], np.diff(u)])
    x, y = make_windows(stream_inputs(u, season), steps, lookback, 1)  # window i -> row i+L
    first = probation - lookback  # the windows of the probationary rows: 0 .. first-1
    fit = max(1, math.ceil(0.8 * first))
    config = TrainConfig(epochs=how.epochs, batch_size=how.batch_size, seed=seed,
                         learning_rate=how.learning_rate, patience=5, grad_clip=1.0)
    train(network, Batches(x[:fit], y[:fit], how.batch_size, seed=seed), config,
          val_batches=Batches(x[fit:first], y[fit:first], PREDICT_BATCH, shuffle=False))
    mean, spread = np.full(len(u), np.nan), np.full(len(u), np.nan)
    _forecast(network, x, 0, first, mean, spread, lookback)
    start = first
    while start < len(x):
        end = min(start + how.every, len(x))
        _forecast(network, x, start, end, mean, spread, lookback)
        if end < len(x):
            seen = max(0, end - how.history)
            rounds = TrainConfig(epochs=1, steps=how.steps, batch_size=how.batch_size,
                                 learning_rate=how.learning_rate / 3, lr_schedule="constant",
                                 patience=0, grad_clip=1.0, seed=seed + end)
            train(network, Batches(x[seen:end], y[seen:end], how.batch_size, seed=seed + end),
                  rounds)
        start = end
    return mean, spread


def _forecast(network: SpreadNetwork, x: np.ndarray, start: int, end: int, mean: np.ndarray,
              spread: np.ndarray, lookback: int) -> None:
    """Fill rows start+L .. end+L-1 of ``mean`` and ``spread`` from windows start .. end-1."""
    network.eval()
    with torch.no_grad():
        for a in range(start, end, PREDICT_BATCH):
            b = min(a + PREDICT_BATCH, end)
            y, _, _ = network(torch.from_numpy(x[a:b].astype(np.float32)))
            mean[a + lookback: b + lookback] = y[:, 0].numpy()
            spread[a + lookback: b + lookback] = np.exp(y[:, 1].numpy())


__all__ = ["Adaptation", "SpreadNetwork", "causal_forecasts", "scaling", "standardised",
           "stream_inputs", "stream_season"]
