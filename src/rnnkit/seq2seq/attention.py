"""Attention: each decoder query reads a weighted mean of the encoder's states (its context).

For a query q (the decoder's state) and the encoder's states k_1 .. k_S of one sentence:

    additive        e_s = vᵀ tanh(W_q q + W_k k_s)          (Bahdanau et al. 2015)
    multiplicative  e_s = qᵀ W k_s                          (Luong et al. 2015, "general")
    α_s = exp(e_s) / Σ_{s' ≤ S} exp(e_{s'})                 padding (s > S) gets α = 0
    c   = Σ_s α_s k_s

Both take T queries at once, ``(B, T, Q)``, against keys ``(B, S, K)`` with a mask ``(B, S)``
(True at a real token); the keys' projection (W_k k or W k) depends on the sentence alone, so
:meth:`project` computes it once per sentence and every decoding step reuses it.
"""

import torch
from torch import Tensor, nn


class Attention(nn.Module):
    """The shared part: masked softmax and context (module docstring); subclasses score."""

    def project(self, keys: Tensor) -> Tensor:
        raise NotImplementedError

    def scores(self, query: Tensor, projected: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, query: Tensor, keys: Tensor, mask: Tensor,
                projected: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The contexts (B, T, K) and the weights α (B, T, S) of ``query`` (B, T, Q)."""
        projected = self.project(keys) if projected is None else projected
        energy = self.scores(query, projected).masked_fill(~mask[:, None, :], float("-inf"))
        weights = torch.softmax(energy, dim=-1)
        return weights @ keys, weights


class AdditiveAttention(Attention):
    """e_s = vᵀ tanh(W_q q + W_k k_s) (Bahdanau et al. 2015), ``size`` the width of v.

    >>> attention = AdditiveAttention(4, 6, 8)
    >>> context, weights = attention(torch.randn(2, 3, 4), torch.randn(2, 5, 6),
    ...                              torch.tensor([[True] * 5, [True] * 2 + [False] * 3]))
    >>> tuple(context.shape), weights[1, :, 2:].abs().sum().item()
    ((2, 3, 6), 0.0)
    """

    def __init__(self, query_size: int, key_size: int, size: int) -> None:
        super().__init__()
        self.query = nn.Linear(query_size, size, bias=False)
        self.key = nn.Linear(key_size, size)
        self.v = nn.Linear(size, 1, bias=False)

    def project(self, keys: Tensor) -> Tensor:
        return self.key(keys)  # (B, S, A)

    def scores(self, query: Tensor, projected: Tensor) -> Tensor:
        summed = self.query(query)[:, :, None, :] + projected[:, None, :, :]  # (B, T, S, A)
        return self.v(torch.tanh(summed)).squeeze(-1)


class MultiplicativeAttention(Attention):
    """e_s = qᵀ W k_s (Luong et al. 2015's "general" score).

    >>> attention = MultiplicativeAttention(4, 6)
    >>> context, weights = attention(torch.randn(2, 3, 4), torch.randn(2, 5, 6),
    ...                              torch.ones(2, 5, dtype=torch.bool))
    >>> tuple(weights.shape), torch.allclose(weights.sum(-1), torch.ones(2, 3))
    ((2, 3, 5), True)
    """

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.weight = nn.Linear(key_size, query_size, bias=False)

    def project(self, keys: Tensor) -> Tensor:
        return self.weight(keys)  # (B, S, Q): W k_s

    def scores(self, query: Tensor, projected: Tensor) -> Tensor:
        return query @ projected.transpose(1, 2)


ATTENTIONS = ("additive", "multiplicative")

__all__ = ["ATTENTIONS", "AdditiveAttention", "Attention", "MultiplicativeAttention"]
