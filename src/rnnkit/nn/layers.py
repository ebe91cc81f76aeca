"""RNN, LSTM and GRU over whole sequences: stacked, bidirectional, drop-in for torch.nn.

Each layer runs its cell over time, once per direction; the reverse direction is the same
recurrence over the reversed time index (the tutorial's BiRNN), and the two are concatenated,
output[t] = [h→_t, h←_t]. Layer k+1 reads layer k's output, with dropout between layers in
training. Parameters carry torch's names (``weight_ih_l{k}``, ``weight_hh_l{k}_reverse``, ...)
and shapes, so ``state_dict`` moves between these layers and torch.nn's in both directions.

Two execution paths give the same numbers (tests hold them to float tolerance):
    fused        torch's native kernel (oneDNN on CPU, cuDNN on GPU): ``torch.lstm`` and friends
    handwritten  rnnkit's own loop: the input projection W_xh x_t + b for all T in one matmul,
                 then the recurrence of :mod:`rnnkit.nn.bptt`, whose backward pass is written by
                 hand (one autograd node per layer and direction); packed sequences and LSTM
                 projections instead loop over the step functions of :mod:`rnnkit.nn.cells` under
                 autograd
``backend="auto"`` (default) takes the fused kernel unless the configuration has none (the
tutorial's GRU, ``reset_after=False``) or the handwritten path measured faster (the Elman RNN on
CPU; see benchmarks/). ``layer.last_backend`` says which path the last forward call took.

:class:`~rnnkit.nn.recurrent.RecurrentLayer` is the base the three share (torch's RNNBase).
"""

import torch.nn.functional as F
from torch import Tensor

from rnnkit._checks import InputError, check_choice
from rnnkit.nn.bptt import elman_sequence, gru_sequence, lstm_sequence
from rnnkit.nn.cells import NONLINEARITIES, gru_update, lstm_update, rnn_update
from rnnkit.nn.recurrent import RecurrentLayer


class RNN(RecurrentLayer):
    """Elman RNN over sequences, drop-in for torch.nn.RNN: h_t = σ(W_hh h_{t-1} + W_xh x_t + b_h).

    Same arguments, defaults, parameter names and return values as torch.nn.RNN; see
    :func:`rnnkit.nn.cells.rnn_step` for the math. Keyword-only extras: ``init`` /
    ``recurrent_init`` (:mod:`rnnkit.nn.init`; "identity" with ``nonlinearity="relu"`` is the
    IRNN) and ``backend``.

    Returns (output, h_n): output (T, B, D·H) (batch first if asked), h_n (L·D, B, H).

    Example:
        >>> import torch
        >>> rnn = RNN(3, 5, num_layers=2, batch_first=True, bidirectional=True)
        >>> out, h = rnn(torch.zeros(4, 7, 3))
        >>> tuple(out.shape), tuple(h.shape)
        ((4, 7, 10), (4, 4, 5))
    """

    _handwritten_faster_on_cpu = True

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
        bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
        bidirectional: bool = False, device=None, dtype=None, *, init: str = "uniform",
        recurrent_init: str | None = None, backend: str = "auto",
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype, init=init,
                         recurrent_init=recurrent_init, backend=backend)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        self.reset_parameters()

    @property
    def _fused_mode(self) -> str:
        return "rnn_tanh" if self.nonlinearity == "tanh" else "rnn_relu"

    def _sequence(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        bias = None if bias_ih is None else bias_ih + bias_hh
        out = elman_sequence(F.linear(x, weight_ih, bias), state[0], weight_hh, self.nonlinearity)
        return out, [out[-1]]

    def _update(self, x_proj, state, weight_hh, bias_hh, weight_hr):
        return [rnn_update(x_proj, state[0], weight_hh, bias_hh, self.nonlinearity)]


class LSTM(RecurrentLayer):
    """LSTM over sequences, drop-in for torch.nn.LSTM (gate order i, f, g, o; ``proj_size``).

    See :func:`rnnkit.nn.cells.lstm_step` for the math. Keyword-only extras: ``init``,
    ``recurrent_init``, ``forget_bias`` (b_f, e.g. 1.0; None keeps the scheme's) and ``backend``.

    Returns (output, (h_n, c_n)): output (T, B, D·H_out), h_n (L·D, B, H_out), c_n (L·D, B, H),
    with H_out = proj_size or hidden_size.

    Example:
        >>> import torch
        >>> lstm = LSTM(input_size=3, hidden_size=5, num_layers=2, batch_first=True)
        >>> out, (h, c) = lstm(torch.zeros(4, 7, 3))
        >>> tuple(out.shape), tuple(h.shape)
        ((4, 7, 5), (2, 4, 5))
    """

    num_gates = 4

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        proj_size: int = 0, device=None, dtype=None, *, init: str = "uniform",
        recurrent_init: str | None = None, forget_bias: float | None = None,
        backend: str = "auto",
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype, init=init,
                         recurrent_init=recurrent_init, backend=backend)
        if forget_bias is not None and not bias:
            raise InputError("forget_bias needs bias=True")
        self.forget_bias = forget_bias
        self.reset_parameters()

    _fused_mode = "lstm"

    def _state_sizes(self) -> list[int]:
        return [self.proj_size or self.hidden_size, self.hidden_size]

    def _unpack_state(self, hx) -> list[Tensor]:
        if not isinstance(hx, tuple | list) or len(hx) != 2:
            raise TypeError(f"hx must be a tuple (h_0, c_0) for LSTM, got {type(hx).__name__}")
        return list(hx)

    def _pack_state(self, states: list[Tensor]):
        return states[0], states[1]

    def _sequence(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        bias = None if bias_ih is None else bias_ih + bias_hh
        out, c_n = lstm_sequence(F.linear(x, weight_ih, bias), state[0], state[1], weight_hh)
        return out, [out[-1], c_n]

    def _update(self, x_proj, state, weight_hh, bias_hh, weight_hr):
        return list(lstm_update(x_proj, state[0], state[1], weight_hh, bias_hh, weight_hr))


class GRU(RecurrentLayer):
    """GRU over sequences, drop-in for torch.nn.GRU; ``reset_after=False`` is the tutorial's GRU.

    See :func:`rnnkit.nn.cells.gru_step` for both forms and how they map. Keyword-only extras:
    ``reset_after`` (default True, torch's), ``init``, ``recurrent_init`` and ``backend``; the
    tutorial's form has no fused kernel, so it always takes the handwritten path.

    Returns (output, h_n) as torch.nn.GRU.

    Example:
        >>> import torch
        >>> gru = GRU(3, 5, batch_first=True, reset_after=False)
        >>> out, h = gru(torch.zeros(4, 7, 3))
        >>> tuple(out.shape), tuple(h.shape), gru.last_backend
        ((4, 7, 5), (1, 4, 5), 'handwritten')
    """

    num_gates = 3

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        device=None, dtype=None, *, init: str = "uniform", recurrent_init: str | None = None,
        reset_after: bool = True, backend: str = "auto",
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype, init=init,
                         recurrent_init=recurrent_init, backend=backend)
        self.reset_after = reset_after
        if backend == "fused" and not reset_after:
            raise InputError("backend='fused' needs reset_after=True: torch has no kernel for "
                             "the reset-before GRU; use backend='handwritten' or 'auto'")
        self.reset_parameters()

    @property
    def _fused_mode(self) -> str | None:
        return "gru" if self.reset_after else None

    def _sequence(self, x, state, weight_ih, weight_hh, bias_ih, bias_hh):
        out = gru_sequence(F.linear(x, weight_ih, bias_ih), state[0], weight_hh, bias_hh,
                           self.reset_after)
        return out, [out[-1]]

    def _update(self, x_proj, state, weight_hh, bias_hh, weight_hr):
        return [gru_update(x_proj, state[0], weight_hh, bias_hh, self.reset_after)]
