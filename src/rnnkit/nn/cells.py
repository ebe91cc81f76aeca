"""One time step of each recurrent cell: pure step functions and thin nn.Module wrappers.

Notation is the tutorial's: x_t input, h_t hidden state, c_t LSTM cell state, σ the logistic
sigmoid, ⊙ the elementwise product. Code multiplies row batches, so W_xh x_t is ``x @ weight_ih.T``.
Each ``*_step`` takes x_t; each ``*_update`` is the same step given the input projection
x_proj = W_xh x_t + b_xh, which the layers compute for all t in one matrix product.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit._checks import InputError, check_choice, check_positive_int
from rnnkit.nn.init import check_schemes, init_recurrent_parameters_

LSTMState = tuple[Tensor, Tensor]
NONLINEARITIES = ("tanh", "relu")


def rnn_update(
    x_proj: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> Tensor:
    """The recurrent half of :func:`rnn_step`, given x_proj = W_xh x_t + b_ih."""
    a = x_proj + F.linear(h, weight_hh, bias_hh)
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


def rnn_step(
    x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
    bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, nonlinearity: str = "tanh",
) -> Tensor:
    """One Elman RNN time step (the tutorial's basic RNN cell).

    Math:
        h_t = σ(W_hh h_{t-1} + W_xh x_t + b_h),   σ = tanh or relu
    W_xh is weight_ih (H, F), W_hh is weight_hh (H, H), b_h = bias_ih + bias_hh.
    The output o_t = W_ho h_t + b_o is a head on top (a Linear), not part of the cell.
    Shapes: x (B, F), h (B, H) -> h_t (B, H).
    """
    return rnn_update(F.linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh, nonlinearity)


def lstm_update(
    x_proj: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor, bias_hh: Tensor | None = None,
    weight_hr: Tensor | None = None,
) -> LSTMState:
    """The recurrent half of :func:`lstm_step`, given x_proj = W_xh x_t + b_ih (B, 4H)."""
    z = x_proj + F.linear(h, weight_hh, bias_hh)  # (B, 4H), gates (i, f, g, o)
    i, f, g, o = z.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    h = o * torch.tanh(c)
    if weight_hr is not None:  # LSTM with projections (Sak et al. 2014): h_t = W_hr h_t
        h = F.linear(h, weight_hr)
    return h, c


def lstm_step(
    x: Tensor, h: Tensor, c: Tensor, weight_ih: Tensor, weight_hh: Tensor,
    bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, weight_hr: Tensor | None = None,
) -> LSTMState:
    """One LSTM time step (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al.).

    Math:
        f_t = σ(W_xf x_t + W_hf h_{t-1} + b_f)          forget gate
        i_t = σ(W_xi x_t + W_hi h_{t-1} + b_i)          input gate
        g_t = tanh(W_xg x_t + W_hg h_{t-1} + b_g)       candidate, the tutorial's c̃_t
        o_t = σ(W_xo x_t + W_ho h_{t-1} + b_o)          output gate
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)
    The tutorial's W_f [h_{t-1}, x_t] is W_hf h_{t-1} + W_xf x_t. weight_ih stacks
    [W_xi; W_xf; W_xg; W_xo] (4H, F) in torch's gate order (i, f, g, o); weight_hh likewise
    (4H, H). With ``weight_hr`` (P, H) the state is projected, h_t = W_hr (o_t ⊙ tanh(c_t)).
    Shapes: x (B, F); h (B, H or P), c (B, H) -> h_t, c_t.
    """
    return lstm_update(F.linear(x, weight_ih, bias_ih), h, c, weight_hh, bias_hh, weight_hr)


def gru_update(
    x_proj: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None = None,
    reset_after: bool = True,
) -> Tensor:
    """The recurrent half of :func:`gru_step`, given x_proj = W_xh x_t + b_ih (B, 3H)."""
    x_r, x_z, x_n = x_proj.chunk(3, dim=-1)
    if reset_after:
        h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, dim=-1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
    else:
        w_hr, w_hz, w_hn = weight_hh.chunk(3, dim=0)
        b_hr, b_hz, b_hn = (None,) * 3 if bias_hh is None else bias_hh.chunk(3)
        r = torch.sigmoid(x_r + F.linear(h, w_hr, b_hr))
        z = torch.sigmoid(x_z + F.linear(h, w_hz, b_hz))
        n = torch.tanh(x_n + F.linear(r * h, w_hn, b_hn))
    return (1 - z) * n + z * h


def gru_step(
    x: Tensor, h: Tensor, weight_ih: Tensor, weight_hh: Tensor,
    bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, reset_after: bool = True,
) -> Tensor:
    """One GRU time step, in torch/cuDNN's form (default) or the tutorial's (Cho et al. 2014).

    Math (``reset_after=True``, torch.nn.GRU):
        r_t = σ(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr)
        z_t = σ(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_xn x_t + b_xn + r_t ⊙ (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    Math (``reset_after=False``, the tutorial and the paper: reset before the product):
        n_t = tanh(W_xn x_t + b_xn + W_hn (r_t ⊙ h_{t-1}) + b_hn)      (the tutorial's h̃_t)
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    The tutorial writes h_t = (1 - z'_t) ⊙ h_{t-1} + z'_t ⊙ h̃_t: its update gate is ours
    flipped, z'_t = 1 - z_t = σ(-a) because 1 - σ(a) = σ(-a). So the tutorial's GRU with gate
    weights (W'_z, b'_z) is this one with ``reset_after=False`` and W_z = -W'_z, b_z = -b'_z.
    weight_ih stacks [W_xr; W_xz; W_xn] (3H, F), gate order (r, z, n); weight_hh likewise (3H, H).
    Shapes: x (B, F), h (B, H) -> h_t (B, H).
    """
    return gru_update(F.linear(x, weight_ih, bias_ih), h, weight_hh, bias_hh, reset_after)


def check_input(
    x: Tensor, name: str, rank: tuple[int, ...], size: int, what: str, dtype: torch.dtype
) -> None:
    """Raise unless ``x`` is a ``dtype`` tensor of one of the ranks ``rank``, last dim ``size``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.dtype != dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but the parameters are {dtype}: convert "
                        f"one to the other (e.g. module.to({x.dtype}))")
    if x.dim() not in rank or x.shape[-1] != size:
        raise InputError(f"{name} must have shape {what}, got {tuple(x.shape)}")


def check_state(h: Tensor, name: str, expected: tuple[int, ...], dtype: torch.dtype) -> None:
    """Raise unless the state tensor ``h`` has exactly the ``expected`` shape and ``dtype``."""
    if not isinstance(h, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(h).__name__}")
    if tuple(h.shape) != tuple(expected):
        raise InputError(f"{name} must have shape {tuple(expected)}, got {tuple(h.shape)}")
    if h.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype} like the input, got {h.dtype}")


class _Cell(nn.Module):
    """Parameters and initialisation shared by the three cells (torch.nn.RNNCellBase's)."""

    num_gates = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, *, init: str,
        recurrent_init: str | None, device=None, dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.bias = bias
        self.init, self.recurrent_init = check_schemes(init, recurrent_init)
        gates_size = self.num_gates * hidden_size
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(gates_size, input_size, **kw))
        self.weight_hh = nn.Parameter(torch.empty(gates_size, hidden_size, **kw))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gates_size, **kw))
            self.bias_hh = nn.Parameter(torch.empty(gates_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def reset_parameters(self) -> None:
        """Initialise by ``init`` / ``recurrent_init`` (default: torch's U(-1/√H, 1/√H))."""
        init_recurrent_parameters_(
            dict(self.named_parameters()), self.num_gates, self.hidden_size, self.init,
            self.recurrent_init, getattr(self, "forget_bias", None),
        )

    def _prepare(
        self, x: Tensor, hx: Tensor | None, name: str = "hx"
    ) -> tuple[Tensor, Tensor, bool]:
        """Check x (B, F) or (F,) and the state, add a batch dim if missing: (x, state, batched)."""
        check_input(x, "input", (1, 2), self.input_size, f"(B, {self.input_size}) or "
                    f"({self.input_size},) for input_size={self.input_size}",
                    self.weight_ih.dtype)
        batched = x.dim() == 2
        x = x if batched else x.unsqueeze(0)
        if hx is None:
            hx = x.new_zeros(x.shape[0], self.hidden_size)
        else:
            expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
            check_state(hx, name, expected, x.dtype)
            hx = hx if batched else hx.unsqueeze(0)
        return x, hx, batched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        return s if self.bias else s + ", bias=False"


class RNNCell(_Cell):
    """An Elman RNN cell, drop-in for torch.nn.RNNCell: h' = σ(W_hh h + W_xh x + b_h).

    See :func:`rnn_step` for the math. ``nonlinearity`` is "tanh" or "relu".
    Notes: weights and biases ~ U(-1/√H, 1/√H) by default (torch's); ``init`` / ``recurrent_init``
    pick another scheme (:mod:`rnnkit.nn.init`).

    Example:
        >>> cell = RNNCell(3, 5)
        >>> tuple(cell(torch.zeros(2, 3)).shape)
        (2, 5)
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
        device=None, dtype=None, *, init: str = "uniform", recurrent_init: str | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, init=init, recurrent_init=recurrent_init,
                         device=device, dtype=dtype)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.reset_parameters()

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        h = rnn_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                     self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(_Cell):
    """An LSTM cell, drop-in for torch.nn.LSTMCell: (h', c') = cell(x, (h, c)).

    See :func:`lstm_step` for the math; gate order (i, f, g, o) as torch.
    ``forget_bias`` sets b_f (``bias_ih`` forget block; ``bias_hh``'s becomes 0); 1.0 keeps the
    forget gate open at the start of training (Jozefowicz et al. 2015). None keeps the scheme's.

    Example:
        >>> cell = LSTMCell(3, 5)
        >>> h, c = cell(torch.zeros(2, 3))
        >>> tuple(h.shape), tuple(c.shape)
        ((2, 5), (2, 5))
    """

    num_gates = 4

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
        init: str = "uniform", recurrent_init: str | None = None, forget_bias: float | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, init=init, recurrent_init=recurrent_init,
                         device=device, dtype=dtype)
        if forget_bias is not None and not bias:
            raise InputError("forget_bias needs bias=True")
        self.forget_bias = forget_bias
        self.reset_parameters()

    def forward(self, input: Tensor, hx: LSTMState | None = None) -> LSTMState:
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError(f"hx must be a tuple (h_0, c_0) for LSTMCell, got {type(hx).__name__}")
        h0, c0 = (None, None) if hx is None else hx
        x, h, batched = self._prepare(input, h0, "h_0")
        _, c, _ = self._prepare(input, c0, "c_0")
        h, c = lstm_step(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_Cell):
    """A GRU cell, drop-in for torch.nn.GRUCell; ``reset_after=False`` gives the tutorial's GRU.

    See :func:`gru_step` for both forms and how they map; gate order (r, z, n) as torch.

    Example:
        >>> cell = GRUCell(3, 5, reset_after=False)
        >>> tuple(cell(torch.zeros(2, 3)).shape)
        (2, 5)
    """

    num_gates = 3

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None, *,
        init: str = "uniform", recurrent_init: str | None = None, reset_after: bool = True,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, init=init, recurrent_init=recurrent_init,
                         device=device, dtype=dtype)
        self.reset_after = reset_after
        self.reset_parameters()

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        h = gru_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                     self.reset_after)
        return h if batched else h.squeeze(0)
