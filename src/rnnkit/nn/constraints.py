"""Spectral constraints on the recurrent matrices W_hh, the tutorial's guard against explosion.

A gradient that flows back k steps is multiplied by W_hh k times (and by the activations'
derivatives): when every singular value of W_hh is at most γ ≤ 1 it cannot grow. Two ways to
keep it so: clamp the singular values after every optimizer step, or reparametrise W_hh as
W / σ_max(W) (torch's spectral_norm).
"""

from collections.abc import Iterator

import torch
from torch import nn


def _recurrent_weights(model: nn.Module) -> Iterator[tuple[nn.Module, str, int]]:
    """(module, parameter name, hidden size) for every recurrent matrix W_hh in ``model``."""
    for module in model.modules():
        hidden = getattr(module, "hidden_size", None)
        for name, _ in module.named_parameters(recurse=False):
            if hidden is not None and name.startswith("weight_hh"):
                yield module, name, hidden


@torch.no_grad()
def clamp_recurrent_spectrum_(model: nn.Module, gamma: float) -> None:
    """W ← U min(Σ, γ) Vᵀ for every gate block of every W_hh: all singular values ≤ γ.

    With every singular value of W_hh at most γ ≤ 1, repeated multiplication by W_hh can no
    longer amplify a gradient (the tutorial's "spectral constraints" against explosion).
    """
    for module, name, hidden in _recurrent_weights(model):
        for block in getattr(module, name).split(hidden, dim=0):  # (H, H) per gate
            u, sigma, vh = torch.linalg.svd(block, full_matrices=False)
            block.copy_((u * sigma.clamp(max=gamma)) @ vh)


def apply_spectral_norm_(model: nn.Module) -> None:
    """Reparametrise every W_hh as W / σ_max(W) (torch's spectral_norm, power iteration)."""
    from torch.nn.utils.parametrizations import spectral_norm

    for module, name, _ in list(_recurrent_weights(model)):
        spectral_norm(module, name=name)
