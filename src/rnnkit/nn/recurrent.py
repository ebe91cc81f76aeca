"""The base of the recurrent layers (torch's RNNBase): parameters, the two execution paths, the
stack over layers and directions, packed sequences.

:class:`RecurrentLayer` holds what RNN, LSTM and GRU (:mod:`rnnkit.nn.layers`) share: torch's
parameter names and shapes, the initialisation, the choice between torch's fused kernel and
rnnkit's hand-written recurrence, and the loop over layers and directions. Each subclass names
its cell's update and its fused kernel. ``layer.layer_weights(k, reverse)`` returns one
layer-direction's weights as a :class:`LayerWeights`.
"""

import logging
import warnings
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from rnnkit._checks import (
    InputError,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit.nn.cells import (
    check_input,
    check_state,
)
from rnnkit.nn.init import check_schemes, init_recurrent_parameters_

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "fused", "handwritten")


class LayerWeights(NamedTuple):
    """The weights of one layer and direction, as :meth:`RecurrentLayer.layer_weights` gives them.

    The layer's own parameters (not copies), under torch's names without the ``_l{k}[_reverse]``
    suffix; ``bias_ih`` / ``bias_hh`` are None with ``bias=False``, ``weight_hr`` is None unless
    an LSTM has ``proj_size > 0``. G is the number of gates (RNN 1, LSTM 4, GRU 3).

    Attributes
    ----------
    weight_ih : Tensor
        (G·H, F_in), F_in = input_size for layer 0, else D·H_out.
    weight_hh : Tensor
        (G·H, H_out), H_out = proj_size or hidden_size.
    bias_ih, bias_hh : Tensor or None
        (G·H,) each.
    weight_hr : Tensor or None
        (proj_size, H).
    """

    weight_ih: Tensor | None
    weight_hh: Tensor | None
    bias_ih: Tensor | None
    bias_hh: Tensor | None
    weight_hr: Tensor | None


class RecurrentLayer(nn.Module):
    """The shared base of RNN, LSTM and GRU, like torch's RNNBase.

    Holds what the three have in common: the arguments and their checks, the parameters under
    torch's names and order, initial-state handling, the choice between the fused and handwritten
    paths, and :meth:`layer_weights`. Subclasses set ``num_gates`` and supply the cell's maths;
    build one of them, not this class.
    """

    num_gates = 1

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int, bias: bool, batch_first: bool,
        dropout: float, bidirectional: bool, proj_size: int, device, dtype, *, init: str,
        recurrent_init: str | None, backend: str,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(check_in_range("dropout", dropout, 0.0, 1.0))
        self.bidirectional = bidirectional
        self.proj_size = check_non_negative_int("proj_size", proj_size)
        if proj_size >= hidden_size:
            raise InputError(f"proj_size must be smaller than hidden_size={hidden_size}, "
                             f"got {proj_size}")
        self.init, self.recurrent_init = check_schemes(init, recurrent_init)
        self.backend = check_choice("backend", backend, BACKENDS)
        self.last_backend: str | None = None
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}", stacklevel=3,
            )
        self.num_directions = 2 if bidirectional else 1
        out_size = proj_size or hidden_size
        gates_size = self.num_gates * hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weight_names: list[str] = []  # torch's kernel order
        for layer in range(num_layers):  # torch's order, so seeded draws match torch.nn's
            for direction in range(self.num_directions):
                layer_input = input_size if layer == 0 else out_size * self.num_directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gates_size, layer_input),
                          "weight_hh": (gates_size, out_size)}
                if bias:
                    shapes |= {"bias_ih": (gates_size,), "bias_hh": (gates_size,)}
                if proj_size:
                    shapes |= {"weight_hr": (proj_size, hidden_size)}
                for name, shape in shapes.items():
                    self.register_parameter(name + suffix, nn.Parameter(torch.empty(shape, **kw)))
                    self._flat_weight_names.append(name + suffix)

    @property
    def _fused_mode(self) -> str | None:
        """The name of torch's kernel for this configuration, or None if it has none."""
        raise NotImplementedError

    def reset_parameters(self) -> None:
        """Initialise by ``init`` / ``recurrent_init`` (default: torch's U(-1/√H, 1/√H))."""
        init_recurrent_parameters_(
            dict(self.named_parameters()), self.num_gates, self.hidden_size, self.init,
            self.recurrent_init, getattr(self, "forget_bias", None),
        )

    def flatten_parameters(self) -> None:
        """No-op, for drop-in compatibility (torch compacts cuDNN weights here)."""

    def layer_weights(self, layer: int = 0, reverse: bool = False) -> LayerWeights:
        """The weights of layer ``layer``, reverse direction if ``reverse``, by field name.

        Parameters
        ----------
        layer : int
            Which stacked layer, 0 (reads the input) to ``num_layers - 1``.
        reverse : bool
            The reverse direction's weights (``..._reverse``); needs ``bidirectional=True``.

        Returns
        -------
        LayerWeights
            (weight_ih, weight_hh, bias_ih, bias_hh, weight_hr): the parameters themselves (the
            same objects as ``weight_ih_l{layer}`` etc.), None where the layer has no bias or no
            projection.

        Examples
        --------
        >>> from rnnkit.nn import LSTM
        >>> w = LSTM(3, 5).layer_weights(0)
        >>> tuple(w.weight_ih.shape), tuple(w.weight_hh.shape), w.weight_hr is None
        ((20, 3), (20, 5), True)
        """
        check_non_negative_int("layer", layer)
        check_in_range("layer", layer, 0, self.num_layers - 1)
        if reverse and not self.bidirectional:
            raise InputError("reverse=True needs a bidirectional layer, got bidirectional=False")
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        # by attribute, not named_parameters(): a parametrized weight (spectral_norm) still works
        return LayerWeights(*(getattr(self, name + suffix, None) for name in LayerWeights._fields))

    def _flat_weights(self) -> list[Tensor]:
        # by attribute, not named_parameters(): a parametrized weight (spectral_norm) still works
        return [getattr(self, name) for name in self._flat_weight_names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0,
                    "bidirectional": False, "proj_size": 0}
        for name, default in defaults.items():
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    def _choose_backend(self, x: Tensor, packed: bool) -> str:
        if self.backend != "auto":
            return self.backend
        if self._fused_mode is None:
            return "handwritten"
        if x.device.type == "cpu" and not packed and self._handwritten_faster_on_cpu:
            return "handwritten"
        return "fused"

    _handwritten_faster_on_cpu = False

    # -- forward ---------------------------------------------------------------------------
    def forward(self, input: Tensor | PackedSequence, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input
            check_input(x, "input.data", (2,), self.input_size,
                        f"(N, {self.input_size}) for input_size={self.input_size}",
                        self.weight_ih_l0.dtype)
            batch = int(batch_sizes[0])
            batched = True
        else:
            layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
            check_input(input, "input", (2, 3), self.input_size,
                        f"{layout} or (T, F) with F = input_size = {self.input_size}",
                        self.weight_ih_l0.dtype)
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)  # (T, B, F)
            if x.shape[0] == 0:
                raise InputError("input must have at least one time step, got T = 0")
            batch, batch_sizes, sorted_indices, unsorted_indices = x.shape[1], None, None, None
        states = self._initial_states(hx, x, batch, batched, sorted_indices)
        backend = self._choose_backend(x, packed)
        self.last_backend = backend
        logger.debug("%s forward: %s path", type(self).__name__, backend)
        run = self._fused if backend == "fused" else self._handwritten
        out, states = run(x, batch_sizes, states)
        if unsorted_indices is not None:
            states = [s.index_select(1, unsorted_indices) for s in states]
        if packed:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        elif not batched:
            out, states = out.squeeze(1), [s.squeeze(1) for s in states]
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, self._pack_state(states)

    def _state_sizes(self) -> list[int]:
        return [self.proj_size or self.hidden_size]

    def _unpack_state(self, hx) -> list[Tensor]:
        return [hx]

    def _pack_state(self, states: list[Tensor]):
        return states[0]

    def _initial_states(
        self, hx, x: Tensor, batch: int, batched: bool, sorted_indices: Tensor | None
    ) -> list[Tensor]:
        """Zeros, or the user's states checked and brought to (L·D, B, H) in sorted order."""
        layers = self.num_layers * self.num_directions
        sizes = self._state_sizes()
        if hx is None:
            return [x.new_zeros(layers, batch, size) for size in sizes]
        states = self._unpack_state(hx)
        names = ["h_0", "c_0"][: len(sizes)]
        checked = []
        for name, state, size in zip(names, states, sizes, strict=True):
            check_state(state, name, (layers, batch, size) if batched else (layers, size), x.dtype)
            state = state if batched else state.unsqueeze(1)
            if sorted_indices is not None:
                state = state.index_select(1, sorted_indices)
            checked.append(state)
        return checked

    def _fused(self, x: Tensor, batch_sizes: Tensor | None, states: list[Tensor]):
        kernel = getattr(torch, self._fused_mode)
        hx = tuple(states) if len(states) == 2 else states[0]
        options = (self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)
        if batch_sizes is None:
            out, *final = kernel(x, hx, self._flat_weights(), *options, False)
        else:
            out, *final = kernel(x, batch_sizes, hx, self._flat_weights(), *options)
        return out, final

    def _handwritten(self, x: Tensor, batch_sizes: Tensor | None, states: list[Tensor]):
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                out, final = self._run_direction(
                    x, batch_sizes, [s[k] for s in states], layer, bool(direction))
                outputs.append(out)
                for collected, s in zip(finals, final, strict=True):
                    collected.append(s)
            x = torch.cat(outputs, dim=-1) if len(outputs) == 2 else outputs[0]  # (T, B, D·H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, [torch.stack(f) for f in finals]

    def _run_direction(
        self, x: Tensor, batch_sizes: Tensor | None, state: list[Tensor], layer: int, reverse: bool
    ) -> tuple[Tensor, list[Tensor]]:
        weights = self.layer_weights(layer, reverse)
        if batch_sizes is None and not self.proj_size:
            x = x.flip(0) if reverse else x
            out, final = self._sequence(x, state, *weights[:4])
            return (out.flip(0) if reverse else out), final
        padded = batch_sizes is None
        if padded:  # a padded batch is a packed one whose rows all run the whole length
            T, B = x.shape[:2]
            x, batch_sizes = x.reshape(T * B, -1), torch.full((T,), B, dtype=torch.int64)
        out, final = step_loop(self._update, x, batch_sizes, state, weights, reverse)
        return (out.view(T, B, -1) if padded else out), final


def step_loop(update, x: Tensor, batch_sizes: Tensor, state: list[Tensor], weights, reverse: bool):
    """Run ``update`` over packed rows: step t updates the first batch_sizes[t] sequences.

    Sequences are sorted by decreasing length, so at step t the active ones are a prefix; the rest
    keep their state, which is therefore each sequence's final state when the loop ends. Reversed,
    a sequence joins when t reaches its own last step, starting from its initial state.
    """
    weight_ih, weight_hh, bias_ih, bias_hh, weight_hr = weights
    x_proj = F.linear(x, weight_ih, bias_ih)  # W_xh x_t + b_ih for every row in one product
    sizes = batch_sizes.tolist()
    steps = x_proj.split(sizes)
    outputs: list[Tensor | None] = [None] * len(sizes)
    for t in (reversed(range(len(sizes))) if reverse else range(len(sizes))):
        n = sizes[t]
        new = update(steps[t], [s[:n] for s in state], weight_hh, bias_hh, weight_hr)
        state = [torch.cat([s_new, s[n:]]) if n < s.shape[0] else s_new
                 for s_new, s in zip(new, state, strict=True)]
        outputs[t] = new[0]
    return torch.cat(outputs), state
