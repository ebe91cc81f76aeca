"""The hybrid's network: Holt–Winters per series, a dilated LSTM across all, fitted together.

For every origin t of series i (Smyl 2020; :mod:`.smoothing` gives l_t and S_t):

    z_j     = log y_j - log S_j - log l_t           j = t-L+1 .. t   (the input window)
    u_t     = DilatedLSTM(z_{t-L+1..t}, u_{t-d})     a state per layer, d its dilation
    o_{t,h,q} = W_2 tanh(W_1 u_t + b_1) + b_2        h = 1 .. H, q over the quantiles τ_q
    ŷ^q_{t+h} = l_t · S_{t+h} · exp(o_{t,h,q})

so the network sees each series with its level and seasons taken out and forecasts the whole
horizon, for every quantile, relative to the last level. The loss is the pinball loss of
every quantile on every target of the fitting part, plus λ times the level's wiggle
(:func:`.smoothing.level_wiggle`), and its gradient reaches the smoothing coefficients and the
first season cycles as it reaches the network's weights:

    ρ_τ(r) = max(τ r, (τ - 1) r),    r = log y_{t+h} - log S_{t+h} - log l_t - o_{t,h,q}
    loss   = mean over (t, h, q) of ρ_{τ_q}(r) + λ P

The series travel as the columns of one input (B, T, 3): the value, the row's part (1
fitting, 2 validation, 0 padding after a shorter series' end) and the series' row in the
smoothing parameters, so that :func:`rnnkit.training.loop.train` batches them like windows.
"""

import torch
from torch import Tensor, nn

from rnnkit.forecast.hybrid.smoothing import HoltWinters, level_wiggle
from rnnkit.nn.dilated import DilatedLSTM

FIT, VALIDATION = 1, 2  # the parts of a row in the input's second column (0: padding)


def pinball(residual: Tensor, quantiles: Tensor) -> Tensor:
    """ρ_τ(r) = max(τ r, (τ - 1) r) elementwise, τ broadcast over the last axis.

    >>> pinball(torch.tensor([1.0, -1.0]), torch.tensor([0.9, 0.9])).round(decimals=4).tolist()
    [0.8999999761581421, 0.10000000149011612]
    """
    return torch.maximum(quantiles * residual, (quantiles - 1) * residual)


class HybridNetwork(nn.Module):
    """Smoothing and network of the hybrid, with the training protocol of
    :func:`rnnkit.training.loop.train`: ``model(x, y, state) -> (None, loss, None)``; in
    training mode the loss is on the fitting part's targets, in eval mode on the validation
    part's (from each series' last fitting row).

    Parameters
    ----------
    num_series, seasons : the smoothing's (:class:`.smoothing.HoltWinters`).
    lookback : L, the input window.
    horizon : H, the steps forecast from every origin.
    quantiles : the τ_q, the point forecast's first.
    hidden_size, dilations : the dilated LSTM's (one layer per dilation, residual sums
        between layers of one width).
    level_penalty : λ.
    """

    def __init__(self, num_series: int, seasons: tuple[int, ...], lookback: int, horizon: int,
                 quantiles: tuple[float, ...], hidden_size: int = 40,
                 dilations: tuple[int, ...] = (1, 4, 24, 168), level_penalty: float = 0.0
                 ) -> None:
        super().__init__()
        self.lookback, self.horizon, self.level_penalty = lookback, horizon, level_penalty
        self.smoothing = HoltWinters(num_series, seasons)
        self.rnn = DilatedLSTM(lookback, hidden_size, dilations, residual=True)
        self.hidden = nn.Linear(hidden_size, hidden_size)
        self.head = nn.Linear(hidden_size, horizon * len(quantiles))
        self.register_buffer("quantiles", torch.tensor(quantiles, dtype=torch.float32))

    def outputs(self, values: Tensor, series: Tensor, first: int = 0
                ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """values (B, T) > 0 -> o (B, T', H, Q) at the origins t = max(first, L-1) .. T-1
        (the head reads only those), the log levels at every origin (B, T-L+1), the log
        seasonal factors (B, T+H) and the levels (B, T)."""
        levels, factors = self.smoothing(values, series, self.horizon)
        log_level, log_factor = torch.log(levels), torch.log(factors)
        z = torch.log(values) - log_factor[:, : values.shape[1]]
        origin_level = log_level[:, self.lookback - 1:]
        windows = z.unfold(1, self.lookback, 1) - origin_level[..., None]  # (B, T-L+1, L)
        states, _ = self.rnn(windows.transpose(0, 1))  # (T-L+1, B, hidden)
        states = states[max(first - self.lookback + 1, 0):]
        o = self.head(torch.tanh(self.hidden(states))).transpose(0, 1)
        return o.reshape(*o.shape[:2], self.horizon, -1), origin_level, log_factor, levels

    def targets(self, values: Tensor, log_factor: Tensor, origin_level: Tensor) -> Tensor:
        """r's target log y_{t+h} - log S_{t+h} - log l_t at every origin: (B, T-L+1, H)
        (0 past the end, where the masks leave it out)."""
        steps = values.shape[1]
        z = torch.log(values) - log_factor[:, :steps]
        ahead = torch.cat([z, z.new_zeros(len(z), self.horizon)], dim=1)[:, self.lookback:]
        return ahead.unfold(1, self.horizon, 1) - origin_level[..., None]

    def target_parts(self, parts: Tensor) -> Tensor:
        """The part of every target row t+h of every origin: (B, T-L+1, H)."""
        ahead = torch.cat([parts, parts.new_zeros(len(parts), self.horizon)], dim=1)
        return ahead[:, self.lookback:].unfold(1, self.horizon, 1)

    def forward(self, x: Tensor, y: Tensor | None = None, state=None):
        steps = int((x[..., 1] > 0).sum(dim=1).max())  # the batch's longest series: the rest
        x = x[:, :steps]                                # is padding, read by nothing before it
        values, parts, series = x[..., 0], x[..., 1].round().long(), x[:, 0, 2].round().long()
        o, origin_level, log_factor, levels = self.outputs(values, series)
        target = self.targets(values, log_factor, origin_level)
        ahead = self.target_parts(parts)
        if self.training:
            mask = ahead == FIT
        else:  # from the last fitting row, the validation rows
            origin = (parts[:, self.lookback - 1:] == FIT) & (ahead[..., 0] == VALIDATION)
            mask = origin[..., None] & (ahead == VALIDATION)
        loss = pinball(target[..., None] - o, self.quantiles).mean(dim=-1)
        loss = (loss * mask).sum() / mask.sum().clamp(min=1)
        if self.training and self.level_penalty:
            loss = loss + self.level_penalty * level_wiggle(levels, parts == FIT)
        return None, loss, None

    @torch.no_grad()
    def forecast(self, values: Tensor, series: Tensor, first: int = 0) -> Tensor:
        """ŷ^q_{t+h} from the origins t = max(first, L-1) .. T-1: (B, T', H, Q), in the
        values' units."""
        o, origin_level, log_factor, _ = self.outputs(values, series, first)
        skip = max(first - self.lookback + 1, 0)
        season = log_factor[:, self.lookback:].unfold(1, self.horizon, 1)[:, skip:]
        return torch.exp(o + (origin_level[:, skip:, None] + season)[..., None])


__all__ = ["FIT", "VALIDATION", "HybridNetwork", "pinball"]
