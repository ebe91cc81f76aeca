"""The spectra of W_hh: how strongly each recurrent weight matrix stretches the state.

Backpropagation through time multiplies by W_hh (times the activation's derivative) at every
step back, so its spectral radius ρ(W) = max |λ_i| and its largest singular value
σ_max(W) = ‖W‖₂ bound how fast gradients vanish (below 1) or explode (above 1); see
:mod:`rnnkit.nn.diagnostics` for the gradients themselves. Gated cells stack one (H, H) block
per gate in W_hh, in torch's order, and each block is measured on its own.
"""

import math

import torch
from torch import Tensor, nn

from rnnkit._checks import InputError, check_in_range
from rnnkit.nn.models import CELLS

GATES = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}  # torch's order


def gate_names(layer: nn.Module) -> tuple[str, ...]:
    """The names of the gate blocks stacked in ``layer``'s W_hh, in torch's order."""
    for name, cls in CELLS.items():
        if isinstance(layer, cls):
            return GATES[name]
    raise TypeError(f"layer must be an rnnkit RNN, LSTM or GRU, got {type(layer).__name__}")


def spectral_radius(weight: Tensor) -> float:
    """ρ(W) = max |λ_i(W)| of a square matrix, from torch.linalg.eigvals.

    Example:
        >>> round(spectral_radius(torch.tensor([[0.0, 2.0], [-2.0, 0.0]])), 12)  # λ = ±2i
        2.0
    """
    if weight.dim() != 2 or weight.shape[0] != weight.shape[1]:
        raise InputError(f"the spectral radius needs a square matrix, got {tuple(weight.shape)}")
    return float(torch.linalg.eigvals(weight.detach().double()).abs().max())


def largest_singular_value(weight: Tensor) -> float:
    """σ_max(W) = ‖W‖₂ = max_v ‖W v‖ / ‖v‖, any (M, N) matrix; ρ(W) ≤ σ_max(W)."""
    return float(torch.linalg.matrix_norm(weight.detach().double(), ord=2))


def weight_spectra(layer: nn.Module) -> dict[str, dict]:
    """Spectral radius and largest singular value of every W_hh, per layer and direction.

    For an Elman layer W_hh is one (H, H) matrix. A gated layer stacks one (H, H) block per gate
    (LSTM i, f, g, o; GRU r, z, n): each block gets both numbers under "gates"; the whole stacked
    (G·H, H) matrix is not square, so it gets its largest singular value and, as its
    "spectral_radius", the largest over its blocks. Blocks of an LSTM with ``proj_size`` are
    (H, H_out), not square: their spectral radius is None.

    Returns
    -------
    {"weight_hh_l0": {"spectral_radius": ρ, "largest_singular_value": σ,
                      "gates": {"i": {"spectral_radius": .., "largest_singular_value": ..}, ..}}}
    ("gates" only for gated layers), one entry per ``weight_hh_l{k}[_reverse]``.

    Example:
        >>> from rnnkit.nn import LSTM
        >>> spectra = weight_spectra(LSTM(1, 4, bidirectional=True))
        >>> list(spectra), list(spectra["weight_hh_l0"]["gates"])
        (['weight_hh_l0', 'weight_hh_l0_reverse'], ['i', 'f', 'g', 'o'])
    """
    gates = gate_names(layer)
    spectra = {}
    for name, weight in layer.named_parameters():
        if not name.startswith("weight_hh"):
            continue
        square = weight.shape[0] == len(gates) * weight.shape[1]
        blocks = {}
        for gate, block in zip(gates, weight.chunk(len(gates), dim=0), strict=True):
            blocks[gate] = {"spectral_radius": spectral_radius(block) if square else None,
                            "largest_singular_value": largest_singular_value(block)}
        radius = max(b["spectral_radius"] for b in blocks.values()) if square else None
        entry = {"spectral_radius": radius,
                 "largest_singular_value": largest_singular_value(weight)}
        if len(gates) > 1:
            entry["gates"] = blocks
        spectra[name] = entry
    return spectra


def first_radius(layer: nn.Module) -> float | None:
    """weight_hh_l0's "spectral_radius" of :func:`weight_spectra`, without the singular values."""
    weight = layer.weight_hh_l0.detach()
    H = weight.shape[1]
    if weight.shape[0] != len(gate_names(layer)) * H:
        return None
    blocks = weight.double().view(-1, H, H)  # (G, H, H): all gate blocks in one eigvals call
    return float(torch.linalg.eigvals(blocks).abs().max())


def rescale_spectral_radius_(layer: nn.Module, radius: float) -> nn.Module:
    """Scale every W_hh (every gate block of gated cells) in place so that ρ(block) = ``radius``.

    Math:
        W_hh <- (radius / ρ(W_hh)) W_hh           for each (H, H) block, every layer and direction
    Scaling multiplies every eigenvalue by the same factor, so the new ρ is exactly ``radius``
    (up to rounding); the echo state network's recipe, here applied to trainable layers.

    Raises
    ------
    InputError
        ``radius`` is not positive, the layer has ``proj_size`` (blocks not square), or a block
        has ρ = 0 (nothing to scale).

    Example:
        >>> from rnnkit.nn import RNN
        >>> rnn = rescale_spectral_radius_(RNN(1, 6), 0.9)
        >>> round(weight_spectra(rnn)["weight_hh_l0"]["spectral_radius"], 6)
        0.9
    """
    check_in_range("spectral_radius", radius, 0.0, math.inf, low_open=True, high_open=True)
    if getattr(layer, "proj_size", 0):
        raise InputError("spectral_radius needs square W_hh blocks, but the layer has "
                         f"proj_size={layer.proj_size}")
    num_gates = len(gate_names(layer))
    with torch.no_grad():
        for name, weight in layer.named_parameters():
            if not name.startswith("weight_hh"):
                continue
            for block in weight.chunk(num_gates, dim=0):
                rho = spectral_radius(block)
                if rho == 0:
                    raise InputError(f"{name} has a gate block with spectral radius 0: it cannot "
                                     "be rescaled; use another recurrent_init")
                block.mul_(radius / rho)
    return layer
