"""Dilated recurrent layers (Chang et al., "Dilated Recurrent Neural Networks", 2017).

A layer of dilation d reads its state from d steps back:

    h_t = f(x_t, h_{t-d})            (the cell's update, :mod:`rnnkit.nn.cells`)

so the sequence splits into d interleaved chains t ≡ r (mod d), r = 0 .. d-1, each an ordinary
recurrence with the layer's one set of weights. A stack gives each layer its own dilation,
e.g. (1, 4) then (24, 168) for hourly data: the upper layers reach a day or a week back in one
step, and gradients cross those spans in one hop instead of 168.

Computed as exactly that: for time-major x (T, B, F), the chains run side by side as one packed
batch of d·B sequences, chain r of length ⌈(T - r)/d⌉. Step q of the packed batch holds times
q·d .. q·d + d - 1, which are consecutive rows of x, so the packed data is x itself, reshaped
(T·B, F), with batch sizes B·min(d, T - q·d): torch's fused kernel on it, no padding, no
copy. The final states are rotated so that h_n[j] is the state step T + j reads,
h_{T+j-d}: passing h_n as the next segment's h_0 continues the sequence, whatever T mod d.

Parameters carry torch's names and shapes (``weight_ih_l{k}``, ...): with every dilation 1 and
no residual, a dilated stack is torch.nn's stacked layer, and its ``state_dict`` loads in both
directions. States are per layer, h_0 / h_n a list of (d_k, B, H) tensors (for the LSTM, a list
of (h, c) pairs). Unidirectional, without projections.
"""


import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit._checks import InputError, check_positive_int
from rnnkit.nn.layers import GRU, LSTM, RNN


class _Dilated:
    """What the three dilated layers share: the dilations, the residual sums, the forward."""

    def __init__(self, input_size: int, hidden_size: int, dilations=(1,), *,
                 residual: bool = False, **options) -> None:
        dilations = self._checked(dilations)
        super().__init__(input_size, hidden_size, num_layers=len(dilations), **options)
        self._setup(dilations, residual)

    @staticmethod
    def _checked(dilations) -> tuple[int, ...]:
        """The dilations as ints, one per layer, each >= 1."""
        dilations = tuple(int(d) for d in dilations)
        if not dilations:
            raise InputError("dilations must name at least one layer, e.g. (1, 4)")
        for d in dilations:
            check_positive_int("dilation", d)
        return dilations

    def _setup(self, dilations: tuple[int, ...], residual: bool) -> None:
        if self.bidirectional or getattr(self, "proj_size", 0):
            raise InputError("dilated layers run one direction, without projections")
        if self._fused_mode is None:
            raise InputError("dilated layers need a fused kernel: the GRU with reset_after=True")
        self.dilations, self.residual = dilations, residual

    def extra_repr(self) -> str:
        return (super().extra_repr() + f", dilations={self.dilations}"
                + (", residual=True" if self.residual else ""))

    def forward(self, input: Tensor, hx: list | None = None):
        """input (T, B, F) ((B, T, F) batch first) -> output (T, B, H), [state per layer]."""
        if input.dim() != 3 or input.shape[-1] != self.input_size:
            layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
            raise InputError(f"input must be {layout} with F = input_size = {self.input_size}, "
                             f"got shape {tuple(input.shape)}")
        x = input.transpose(0, 1) if self.batch_first else input
        if hx is not None and len(hx) != len(self.dilations):
            raise InputError(f"hx must hold one state per layer ({len(self.dilations)}), got "
                             f"{len(hx)}")
        finals = []
        for k, d in enumerate(self.dilations):
            out, final = self._dilated(x, k, d, None if hx is None else hx[k])
            if self.residual and out.shape == x.shape:
                out = out + x  # a residual connection between blocks
            if self.dropout and self.training and k < len(self.dilations) - 1:
                out = F.dropout(out, self.dropout, training=True)
            finals.append(final)
            x = out
        return (x.transpose(0, 1) if self.batch_first else x), finals

    def _dilated(self, x: Tensor, layer: int, d: int, state):
        """One layer of dilation d (module docstring): the packed kernel over the d chains.

        The whole cycles (T - T mod d rows: every chain has each step) go in one call, the
        last T mod d rows in a second one of one step: torch's CPU kernel takes ~40 times as
        long to differentiate a packed batch whose sizes vary as one whose sizes are equal.
        """
        T, B = x.shape[:2]
        count = 2 if self._fused_mode == "lstm" else 1
        if state is None:
            states = [x.new_zeros(d, B, self.hidden_size) for _ in range(count)]
        else:
            states = list(state) if isinstance(state, tuple | list) else [state]
            for s in states:
                if tuple(s.shape) != (d, B, self.hidden_size):
                    raise InputError(f"the state of layer {layer} must be (d, B, H) = "
                                     f"{(d, B, self.hidden_size)}, got {tuple(s.shape)}")
        names = ["weight_ih", "weight_hh", *(["bias_ih", "bias_hh"] if self.bias else [])]
        weights = [getattr(self, f"{name}_l{layer}") for name in names]
        kernel = getattr(torch, self._fused_mode)
        whole, outs = T - T % d, []
        for rows, chains in ((slice(0, whole), d), (slice(whole, T), T - whole)):
            if rows.stop == rows.start:
                continue
            steps = (rows.stop - rows.start) // chains
            batch_sizes = torch.full((steps,), B * chains, dtype=torch.int64)
            hx = [s[:chains].reshape(1, chains * B, -1) for s in states]  # chain r: rows r·B ..
            out, *final = kernel(x[rows].reshape(steps * chains * B, -1), batch_sizes,
                                 tuple(hx) if count == 2 else hx[0], weights, self.bias, 1, 0.0,
                                 self.training, False)
            states = [torch.cat([f.reshape(chains, B, -1), s[chains:]])
                      for f, s in zip(final, states, strict=True)]
            outs.append(out.view(-1, B, self.hidden_size))
        final = [f.roll(-(T % d), 0) for f in states]  # h_n[j]: the state step T + j reads
        return torch.cat(outs), (tuple(final) if count == 2 else final[0])


class DilatedRNN(_Dilated, RNN):
    """A stack of Elman layers, layer k reading h_{t - d_k} (module docstring).

    Arguments as :class:`rnnkit.nn.RNN` (nonlinearity, bias, batch_first, dropout, init,
    recurrent_init), then ``dilations`` (one per layer; ``num_layers`` is their count) and
    ``residual`` (add each layer's input to its output where the sizes agree).

    Example:
        >>> import torch
        >>> rnn = DilatedRNN(3, 8, dilations=(1, 4), batch_first=True)
        >>> out, states = rnn(torch.zeros(2, 10, 3))
        >>> tuple(out.shape), [tuple(h.shape) for h in states]
        ((2, 10, 8), [(1, 2, 8), (4, 2, 8)])
    """


class DilatedLSTM(_Dilated, LSTM):
    """A stack of LSTM layers, layer k reading (h, c)_{t - d_k}; as :class:`DilatedRNN`, with
    the LSTM's own options (forget_bias, ...). Each layer's state is a pair (h, c)."""


class DilatedGRU(_Dilated, GRU):
    """A stack of GRU layers, layer k reading h_{t - d_k}; as :class:`DilatedRNN`."""


__all__ = ["DilatedGRU", "DilatedLSTM", "DilatedRNN"]
