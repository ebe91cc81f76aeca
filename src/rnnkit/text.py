"""Character-level language models: vocabulary, the model, and sampling.

A CharLM reads characters x_1..x_T and predicts each next one:
    e_t = E[x_t]                       (embedding, V -> E)
    h_t = RNN(e_1 .. e_t)              (stacked LSTM/GRU/RNN, dropout between layers)
    p(x_{t+1} | x_≤t) = softmax(W_hy h_t + b_y)
and is trained by truncated BPTT on consecutive chunks of the text (rnnkit.train.StreamBatches),
with the loss in nats per character (bits = nats / ln 2).
"""

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit._checks import InputError, check_choice, check_in_range, check_positive_int
from rnnkit.models import CELLS


class CharVocab:
    """The characters of a training text, each with an id (sorted order); saved with the model.

    Characters outside the vocabulary are refused with an error naming them: a model cannot
    read or write a symbol it was never trained on.

    >>> vocab = CharVocab.from_text("hello")
    >>> vocab.decode(vocab.encode("hole"))
    'hole'
    """

    def __init__(self, chars: str) -> None:
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        if not text:
            raise InputError("the corpus is empty")
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, what: str = "text") -> np.ndarray:
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise InputError(f"{what} has characters the model never saw: "
                             f"{''.join(unknown)!r}")
        return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


class CharLM(nn.Module):
    """Embedding -> recurrent stack -> linear to the vocabulary; forward(x, y, state).

    Returns (logits (B, T, V), mean cross-entropy in nats | None, state). The embedding and the
    output weights are tied (one matrix, Press & Wolf 2017) when ``embedding_size`` equals
    ``hidden_size``.
    """

    def __init__(self, vocab_size: int, hidden_size: int = 256, num_layers: int = 2,
                 cell: str = "lstm", dropout: float = 0.0, embedding_size: int | None = None,
                 forget_bias: float | None = 1.0) -> None:
        super().__init__()
        check_choice("cell", cell, tuple(CELLS))
        embedding_size = embedding_size or hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        extra = {"forget_bias": forget_bias} if cell == "lstm" else {}
        self.rnn = CELLS[cell](embedding_size, hidden_size, num_layers, batch_first=True,
                               dropout=dropout, **extra)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)
        if embedding_size == hidden_size:
            self.head.weight = self.embedding.weight

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        out, state = self.rnn(self.embedding(x), state)  # (B, T, H)
        logits = self.head(self.drop(out))  # (B, T, V)
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1),
                                                            targets.flatten())
        return logits, loss, state


def next_id(logits: Tensor, temperature: float, top_k: int, generator: torch.Generator) -> int:
    """Draw one id from softmax(logits / temperature), restricted to the top_k largest (0 = all).

    Temperature → 0 tends to the argmax; a tiny temperature is treated as argmax exactly.
    """
    if temperature < 1e-6:
        return int(logits.argmax())
    if top_k:
        kth = torch.topk(logits, min(top_k, logits.numel())).values[-1]
        logits = logits.masked_fill(logits < kth, -math.inf)
    probs = torch.softmax(logits / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


@torch.no_grad()
def generate(model: CharLM, vocab: CharVocab, prompt: str, length: int, *,
             temperature: float = 0.8, top_k: int = 0, seed: int = 0,
             on_text: Callable[[str], None] | None = None) -> str:
    """Prime the model with ``prompt``, then sample ``length`` characters one at a time.

    Each new character is fed back as the next input, carrying the state (one step per
    character). ``on_text`` receives every character as it is produced (streaming). Returns the
    generated text, without the prompt.
    """
    check_positive_int("length", length)
    check_in_range("temperature", temperature, 0.0, 100.0, low_open=True)
    if top_k < 0:
        raise InputError(f"top_k must be >= 0, got {top_k}")
    if not prompt:
        raise InputError("prompt must not be empty (it primes the model)")
    ids = torch.from_numpy(vocab.encode(prompt, "prompt"))[None]  # (1, P)
    was_training = model.training
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    logits, _, state = model(ids)
    out = []
    for _ in range(length):
        i = next_id(logits[0, -1], temperature, top_k, generator)
        out.append(vocab.chars[i])
        if on_text is not None:
            on_text(out[-1])
        logits, _, state = model(torch.tensor([[i]]), None, state)
    model.train(was_training)
    return "".join(out)
