"""Decoding a trained :class:`~rnnkit.seq2seq.model.Seq2Seq`: greedy and beam search, batched.

Greedy search takes the most probable token at every step. Beam search keeps the ``beam``
most probable prefixes of each sentence; a prefix that ends (EOS) joins the sentence's
finished hypotheses, and the sentence is done once it holds ``beam`` of them (or at the length
limit, 2 S + 10 tokens for a source of S). Hypotheses are ranked by log-probability over the
length penalty of Wu et al. (2016),

    score(y) = log p(y | x) / lp(y),    lp(y) = ((5 + |y|) / 6)^α

(α = 0 ranks by log-probability alone, which favours short translations). Every sentence of a
batch is searched at once: the beams are rows of one (B·K, ...) batch.
"""

import torch
from torch import Tensor

from rnnkit.seq2seq.model import BOS, EOS, PAD, Seq2Seq, select_state

ALPHA = 0.6  # Wu et al. (2016)'s length penalty


def max_length(source: Tensor) -> int:
    """The length limit of a batch: 2 S + 10 target tokens for its longest source S."""
    return 2 * int((source != PAD).sum(dim=1).max()) + 10


def length_penalty(length: Tensor | int, alpha: float = ALPHA) -> Tensor:
    """lp = ((5 + length) / 6)^α.

    >>> round(float(length_penalty(7, 0.6)), 4), float(length_penalty(7, 0.0))
    (1.5157, 1.0)
    """
    return ((5.0 + torch.as_tensor(length, dtype=torch.float32)) / 6.0) ** alpha


@torch.no_grad()
def greedy(model: Seq2Seq, source: Tensor, limit: int | None = None
           ) -> tuple[list[list[int]], list[Tensor]]:
    """Each sentence's tokens (EOS dropped) and its attention weights (T, S)."""
    model.eval()
    memory = model.encode(source)
    batch, limit = len(source), limit or max_length(source)
    tokens = torch.full((batch,), BOS, dtype=torch.long)
    state, done = memory.state, torch.zeros(batch, dtype=torch.bool)
    picked, weights = [], []
    for _ in range(limit):
        log_probs, w, state = model.step(tokens, memory, state)
        tokens = log_probs.argmax(dim=-1).masked_fill(done, PAD)
        picked.append(tokens)
        weights.append(w)
        done |= tokens == EOS
        if done.all():
            break
    picked_t, weights_t = torch.stack(picked, 1), torch.stack(weights, 1)
    out, attention = [], []
    for b in range(batch):
        row = picked_t[b].tolist()
        n = row.index(EOS) if EOS in row else len(row)
        length = int(memory.mask[b].sum())
        out.append(row[:n])
        attention.append(weights_t[b, : n + 1, :length])
    return out, attention


@torch.no_grad()
def beam_search(model: Seq2Seq, source: Tensor, beam: int = 5, alpha: float = ALPHA,
                limit: int | None = None) -> list[list[int]]:
    """Each sentence's best hypothesis by the module docstring's score (EOS dropped)."""
    if beam <= 1:
        return greedy(model, source, limit)[0]
    model.eval()
    batch, limit = len(source), limit or max_length(source)
    rows = torch.arange(batch).repeat_interleave(beam)
    memory = model.encode(source).select(rows)
    state = memory.state
    scores = torch.full((batch, beam), float("-inf"))
    scores[:, 0] = 0.0  # the beams start as one prefix: BOS
    prefixes = torch.full((batch * beam, 1), BOS, dtype=torch.long)
    finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch)]
    done = torch.zeros(batch, dtype=torch.bool)
    for step in range(1, limit + 1):
        log_probs, _, state = model.step(prefixes[:, -1], memory, state)
        vocab = log_probs.shape[-1]
        total = (scores[:, :, None] + log_probs.view(batch, beam, vocab)).view(batch, -1)
        top, flat = total.topk(2 * beam, dim=1)  # enough for `beam` that go on
        token, origin = flat % vocab, flat // vocab
        ended = token == EOS
        for b, k in ended.nonzero().tolist():
            if not done[b] and top[b, k] > float("-inf") and len(finished[b]) < beam:
                path = prefixes[b * beam + origin[b, k], 1:].tolist()
                finished[b].append((float(top[b, k] / length_penalty(step, alpha)), path))
        done |= torch.tensor([len(f) >= beam for f in finished])
        if done.all():
            break
        # the best `beam` candidates that did not end go on (ended ones rank last)
        order = (ended.float() * 2 * beam + torch.arange(2 * beam)).argsort(dim=1)[:, :beam]
        keep_scores = top.gather(1, order).masked_fill(ended.gather(1, order), float("-inf"))
        scores = keep_scores.masked_fill(done[:, None], float("-inf"))
        parents = (torch.arange(batch)[:, None] * beam + origin.gather(1, order)).view(-1)
        prefixes = torch.cat([prefixes[parents], token.gather(1, order).view(-1, 1)], dim=1)
        state = select_state(state, parents)
    best = []
    for b in range(batch):
        if not finished[b]:  # the limit came first: the alive prefixes compete as they are
            finished[b] = [(float(scores[b, k] / length_penalty(limit, alpha)),
                            prefixes[b * beam + k, 1:].tolist()) for k in range(beam)
                           if scores[b, k] > float("-inf")]
        best.append(max(finished[b], key=lambda h: h[0])[1] if finished[b] else [])
    return best


__all__ = ["ALPHA", "beam_search", "greedy", "length_penalty", "max_length"]
