"""An encoder-decoder with attention over :mod:`rnnkit.nn` recurrent layers.

Token ids in, log-probabilities of the next target token out. For a source x_1 .. x_S (padded
with ``pad`` after its end) and a target y_0 = BOS, y_1 .. y_T = EOS:

    k_1 .. k_S = [h→_s; h←_s]          a bidirectional encoder over E_src x (packed: padding
                                       never reaches it; h←_S starts at the sentence's end)
    s_0        = tanh(W_b [h→_S; h←_1])   the decoder's first state (each layer its own W_b)
    additive (Bahdanau et al. 2015):
               c_t = attend(s_{t-1}, k),   s_t = RNN(s_{t-1}, [E_tgt y_{t-1}; c_t])
    multiplicative (Luong et al. 2015):
               s_t = RNN(s_{t-1}, E_tgt y_{t-1}),   c_t = attend(s_t, k)
    h̃_t        = tanh(W_c [s_t; c_t])  (width of the target embedding)
    log p(y_t | y_<t, x) = log_softmax(E_tgt h̃_t + b)   with ``tie`` (Press & Wolf 2017),
                                       else log_softmax(W_o h̃_t + b)

With teacher forcing the decoder reads the reference's y_{t-1}; Luong's decoder then runs
every step at once. ``teacher_forcing`` < 1 in training feeds the model's own guess instead
with probability 1 - ratio, drawn per token (parallel scheduled sampling, Duckworth et al.
2019: a first pass without gradients guesses every token, the second learns from the mix).
The loss is cross-entropy per target token with label smoothing, padding excluded. ``forward``
follows :func:`rnnkit.training.loop.train`'s protocol.
"""

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit._checks import check_choice, check_in_range, check_positive_int
from rnnkit.nn.models import recurrent_layer
from rnnkit.seq2seq.attention import ATTENTIONS, AdditiveAttention, MultiplicativeAttention

PAD, BOS, EOS = 0, 1, 2  # the ids every vocabulary gives these three


@dataclass
class Memory:
    """What the decoder reads of the encoded sources: keys (B, S, 2H), their projection by
    the attention, the mask (B, S) of real tokens, and the decoder's first state."""

    keys: Tensor
    projected: Tensor
    mask: Tensor
    state: object

    def select(self, rows: Tensor) -> "Memory":
        """The memory of sentences ``rows`` (e.g. each repeated ``beam`` times)."""
        return Memory(self.keys[rows], self.projected[rows], self.mask[rows],
                      select_state(self.state, rows))


def select_state(state, rows: Tensor):
    """A recurrent state (L, B, H), or an LSTM's pair, at batch ``rows``."""
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]


class Seq2Seq(nn.Module):
    """The encoder-decoder of the module docstring.

    >>> model = Seq2Seq(source_vocab=20, target_vocab=30, embedding_size=8, hidden_size=8)
    >>> x = torch.tensor([[5, 6, 7], [8, 9, 0]])
    >>> y = torch.tensor([[1, 5, 6, 2], [1, 7, 2, 0]])
    >>> log_probs, loss, _ = model(x, y)
    >>> tuple(log_probs.shape), loss.item() > 0
    ((2, 3, 30), True)
    """

    def __init__(self, source_vocab: int, target_vocab: int, embedding_size: int = 256,
                 hidden_size: int = 256, num_layers: int = 1, cell: str = "gru",
                 attention: str = "multiplicative", dropout: float = 0.2, tie: bool = True,
                 label_smoothing: float = 0.1) -> None:
        super().__init__()
        for name, value in (("source_vocab", source_vocab), ("target_vocab", target_vocab),
                            ("embedding_size", embedding_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            check_positive_int(name, value)
        check_choice("cell", cell, ("gru", "lstm"))
        check_choice("attention", attention, ATTENTIONS)
        check_in_range("dropout", dropout, 0.0, 1.0, high_open=True)
        check_in_range("label_smoothing", label_smoothing, 0.0, 1.0, high_open=True)
        self.kind, self.cell, self.label_smoothing = attention, cell, label_smoothing
        self.teacher_forcing = 1.0
        between = dropout if num_layers > 1 else 0.0
        self.source_embedding = nn.Embedding(source_vocab, embedding_size, padding_idx=PAD)
        self.target_embedding = nn.Embedding(target_vocab, embedding_size, padding_idx=PAD)
        self.encoder = recurrent_layer(embedding_size, cell, hidden_size, num_layers,
                                       dropout=between, bidirectional=True)
        self.bridge = nn.ModuleList(nn.Linear(2 * hidden_size, hidden_size)
                                    for _ in range(2 if cell == "lstm" else 1))
        feed = embedding_size + (2 * hidden_size if attention == "additive" else 0)
        self.decoder = recurrent_layer(feed, cell, hidden_size, num_layers, dropout=between)
        self.attention = (AdditiveAttention(hidden_size, 2 * hidden_size, hidden_size)
                          if attention == "additive"
                          else MultiplicativeAttention(hidden_size, 2 * hidden_size))
        self.combine = nn.Linear(3 * hidden_size, embedding_size)
        self.out = nn.Linear(embedding_size, target_vocab)
        if tie:
            self.out.weight = self.target_embedding.weight
        self.drop = nn.Dropout(dropout)

    # -- encoding ------------------------------------------------------------------------------
    def encode(self, source: Tensor) -> Memory:
        """The memory of ``source`` (B, S) token ids, ``PAD`` after each sentence's end."""
        mask = source != PAD
        lengths = mask.sum(dim=1).clamp(min=1)
        packed = pack_padded_sequence(self.drop(self.source_embedding(source)), lengths.cpu(),
                                      batch_first=True, enforce_sorted=False)
        out, final = self.encoder(packed)
        keys, _ = pad_packed_sequence(out, batch_first=True, total_length=source.shape[1])
        finals = final if isinstance(final, tuple) else (final,)
        state = tuple(torch.tanh(bridge(self._directions_joined(f)))
                      for bridge, f in zip(self.bridge, finals, strict=True))
        return Memory(keys, self.attention.project(keys), mask,
                      state if self.cell == "lstm" else state[0])

    @staticmethod
    def _directions_joined(final: Tensor) -> Tensor:
        """(2L, B, H) final states, layer by layer forward then backward -> (L, B, 2H)."""
        layers2, batch, hidden = final.shape
        return final.view(layers2 // 2, 2, batch, hidden).permute(0, 2, 1, 3).reshape(
            layers2 // 2, batch, 2 * hidden)

    # -- decoding ------------------------------------------------------------------------------
    def decode(self, inputs: Tensor, memory: Memory) -> tuple[Tensor, Tensor, object]:
        """Log-probabilities (B, T, V) of the token after each of ``inputs`` (B, T), the
        attention weights (B, T, S) and the last state; every step at once for Luong's
        decoder, step by step for Bahdanau's."""
        if self.kind == "multiplicative":
            s, state = self.decoder(self.drop(self.target_embedding(inputs)), memory.state)
            context, weights = self.attention(s, memory.keys, memory.mask, memory.projected)
            return self._log_probs(s, context), weights, state
        state, steps = memory.state, []
        for t in range(inputs.shape[1]):
            log_probs, weights, state = self.step(inputs[:, t], memory, state)
            steps.append((log_probs, weights))
        return (torch.stack([p for p, _ in steps], 1), torch.stack([w for _, w in steps], 1),
                state)

    def step(self, tokens: Tensor, memory: Memory, state) -> tuple[Tensor, Tensor, object]:
        """One step: log-probabilities (N, V) of the token after ``tokens`` (N,), the
        attention weights (N, S) and the next state."""
        embedded = self.drop(self.target_embedding(tokens))[:, None, :]  # (N, 1, E)
        if self.kind == "multiplicative":
            s, state = self.decoder(embedded, state)
            context, weights = self.attention(s, memory.keys, memory.mask, memory.projected)
        else:
            top = (state[0] if isinstance(state, tuple) else state)[-1][:, None, :]
            context, weights = self.attention(top, memory.keys, memory.mask, memory.projected)
            s, state = self.decoder(torch.cat([embedded, context], dim=-1), state)
        return self._log_probs(s, context)[:, 0], weights[:, 0], state

    def _log_probs(self, s: Tensor, context: Tensor) -> Tensor:
        attentional = self.drop(torch.tanh(self.combine(torch.cat([s, context], dim=-1))))
        return torch.log_softmax(self.out(attentional), dim=-1)

    # -- training ------------------------------------------------------------------------------
    def forward(self, source: Tensor, target: Tensor, state=None):
        """``(log-probabilities, loss, None)`` for ``target`` (B, T + 1): BOS, the tokens,
        EOS, then ``PAD``; the loss is per target token (module docstring)."""
        source, target = source.long(), target.long()
        memory = self.encode(source)
        inputs, gold = target[:, :-1], target[:, 1:]
        if self.training and self.teacher_forcing < 1.0:
            inputs = self._scheduled(inputs, memory)
        log_probs, _, _ = self.decode(inputs, memory)
        loss = nn.functional.nll_loss(log_probs.transpose(1, 2), gold, ignore_index=PAD,
                                      reduction="none")
        if self.label_smoothing:
            uniform = -log_probs.mean(dim=-1)
            loss = (1 - self.label_smoothing) * loss + self.label_smoothing * uniform
        real = gold != PAD
        return log_probs, (loss * real).sum() / real.sum().clamp(min=1), None

    def _scheduled(self, inputs: Tensor, memory: Memory) -> Tensor:
        """The reference's tokens, each after the first replaced by the model's guess with
        probability 1 - ``teacher_forcing`` (module docstring)."""
        with torch.no_grad():
            guesses = self.decode(inputs, memory)[0].argmax(dim=-1)  # guess of token t + 1
        swap = torch.rand(inputs.shape, device=inputs.device) >= self.teacher_forcing
        swap[:, 0] = False
        mixed = torch.where(swap, torch.roll(guesses, 1, dims=1), inputs)
        return torch.where(inputs == PAD, inputs, mixed)


__all__ = ["BOS", "EOS", "PAD", "Memory", "Seq2Seq", "select_state"]
