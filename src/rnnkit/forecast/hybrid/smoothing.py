"""Holt–Winters smoothing with multiplicative seasons, one set of coefficients per series.

The exponential-smoothing half of the hybrid (Smyl 2020, "A hybrid method of exponential
smoothing and recurrent neural networks for time series forecasting", IJF 36). For series i
with values y_0 .. y_{T-1} > 0 and seasons m_1 .. m_K (K = 0, 1 or 2; e.g. 24 and 168 for
hourly data), the level l_t and the season indices s^k_t follow

    S_t       = Π_k s^k_t                                        the seasonal factor at t
    l_0       = y_0 / S_0
    l_t       = α y_t / S_t + (1 - α) l_{t-1}                     t >= 1
    s^k_{t+m_k} = γ_k y_t / (l_t Π_{j≠k} s^j_t) + (1 - γ_k) s^k_t  t >= 0

with α = σ(a_i), γ_k = σ(g_{ik}) (σ the logistic function) and the first cycle of every
season s^k_0 .. s^k_{m_k - 1} = exp(c^k_i) free: a_i, g_{ik} and c^k_i are parameters learned
by gradient, like the network's weights. Past the data the indices repeat their last cycle,
s^k_{T+j} = s^k_{T+j-m_k}, so that S_t is known for every forecast step. There is no trend
term: the network forecasts what the level and the seasons leave.
"""

import math

import numpy as np
import torch
from torch import Tensor, nn


class HoltWinters(nn.Module):
    """Per-series Holt–Winters smoothing (level and multiplicative seasons), differentiable.

    Parameters
    ----------
    num_series : how many series own coefficients (rows of every parameter).
    seasons : the season lengths m_k, at most two (none: the level alone).

    Parameters (learned): ``level_smoothing`` (S,) the a_i of α; ``season_smoothing``
    (S, K) the g_{ik}; ``initial_seasons_{k}`` (S, m_k) the log first cycle c^k_i.

    Example
    -------
    >>> hw = HoltWinters(2, (4,))
    >>> y = torch.tensor([[1.0, 2.0, 3.0, 2.0, 1.0, 2.0], [5.0, 5.0, 5.0, 5.0, 5.0, 5.0]])
    >>> levels, factors = hw(y, torch.tensor([0, 1]), horizon=3)
    >>> tuple(levels.shape), tuple(factors.shape)
    ((2, 6), (2, 9))
    """

    def __init__(self, num_series: int, seasons: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.seasons = tuple(int(m) for m in seasons)
        self.level_smoothing = nn.Parameter(torch.full((num_series,), -1.0))
        self.season_smoothing = nn.Parameter(torch.full((num_series, len(self.seasons)), -2.0))
        for k, m in enumerate(self.seasons):
            self.register_parameter(f"initial_seasons_{k}",
                                    nn.Parameter(torch.zeros(num_series, m)))

    def initial_cycles(self) -> list[Tensor]:
        """The log first cycles c^k (S, m_k), one per season."""
        return [getattr(self, f"initial_seasons_{k}") for k in range(len(self.seasons))]

    @torch.no_grad()
    def start_from(self, values: list) -> None:
        """Set every series' first cycles from its first values (at most 4 cycles of the
        longest season), seasons shortest first, in log space:

            r_t = log y_t - mean log y - Σ_{j<k} c^j_{t mod m_j}
            c^k_i = mean of r_t over t ≡ i (mod m_k), centred to mean 0

        so that the smoothing starts from the series' own average cycles and the learning
        refines them (a series shorter than a season keeps indices 1 for it)."""
        if not self.seasons:
            return
        order = sorted(range(len(self.seasons)), key=lambda k: self.seasons[k])
        cycles = self.initial_cycles()
        longest = max(self.seasons)
        for row, y in enumerate(values):
            n = min(len(y), 4 * longest)
            residual = np.log(np.asarray(y[:n], dtype=np.float64))
            residual = residual - residual.mean()
            for k in order:
                m = self.seasons[k]
                if n < m:
                    continue
                position = np.arange(n) % m
                profile = np.bincount(position, residual, m) / np.bincount(position, None, m)
                profile -= profile.mean()
                cycles[k][row] = torch.from_numpy(profile).to(cycles[k].dtype)
                residual = residual - profile[position]

    def forward(self, y: Tensor, series: Tensor, horizon: int) -> tuple[Tensor, Tensor]:
        """y (B, T) > 0 of the series ``series`` (B,) -> levels l (B, T) and the seasonal
        factors S (B, T + horizon) (ones without seasons)."""
        batch, steps = y.shape
        alpha = torch.sigmoid(self.level_smoothing[series])
        gamma = torch.sigmoid(self.season_smoothing[series])
        indices = [list(torch.exp(c[series]).unbind(1)) for c in self.initial_cycles()]
        values = y.unbind(1)
        levels, level = [], None
        for t in range(steps):
            current = [s[t] for s in indices]
            factor = math.prod(current) if current else 1.0
            deseasoned = values[t] / factor
            level = deseasoned if level is None else alpha * deseasoned + (1 - alpha) * level
            levels.append(level)
            for k, s in enumerate(indices):
                others = math.prod(current[:k] + current[k + 1:]) if len(current) > 1 else 1.0
                g = gamma[:, k]
                s.append(g * values[t] / (level * others) + (1 - g) * current[k])
        factors = torch.ones(batch, steps + horizon, dtype=y.dtype, device=y.device)
        for s, m in zip(indices, self.seasons, strict=True):
            while len(s) < steps + horizon:
                s.append(s[len(s) - m])
            factors = factors * torch.stack(s[: steps + horizon], dim=1)
        return torch.stack(levels, dim=1), factors


def level_wiggle(levels: Tensor, rows: Tensor) -> Tensor:
    """ES-RNN's penalty on a wiggly level: the mean squared change of the log level's slope.

    Math (d_t = log l_t - log l_{t-1}, over the rows where ``rows`` (B, T) is true):
        P = mean_t (d_t - d_{t-1})²
    A level that follows every blip leaves the network nothing to learn and forecasts badly.
    """
    d = torch.diff(torch.log(levels), dim=1)
    wiggle = torch.diff(d, dim=1) ** 2
    mask = rows[:, 2:] & rows[:, 1:-1] & rows[:, :-2]
    return (wiggle * mask).sum() / mask.sum().clamp(min=1)


__all__ = ["HoltWinters", "level_wiggle"]
