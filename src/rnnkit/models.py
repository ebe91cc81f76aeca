"""Heads on recurrent layers, and the config that describes the recurrent stack under them.

Every model here follows the one protocol of :func:`rnnkit.train.train`:
``model(x, targets=None, state=None) -> (prediction, loss | None, state)``, where ``state`` is
the recurrent state to start from (None: zeros) and the one reached at the end, torch's
``h_0`` / ``h_n`` (a tuple ``(h, c)`` for the LSTM). Everything here is batch first, x (B, T, F).

``ModelConfig`` holds the stack's hyperparameters; its fields are the keyword arguments of every
model below (a test checks it), so ``SequenceRegressor(F, output_size=H, **asdict(config))``
builds one, and ``recurrent_layer`` turns the same keywords into ``CELLS[cell](...)``.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit._checks import InputError, check_choice, check_positive_int
from rnnkit._fields import opt
from rnnkit.cells import NONLINEARITIES
from rnnkit.init import INPUT_SCHEMES
from rnnkit.layers import GRU, LSTM, RNN, RecurrentLayer

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
LOSSES = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent stack of a model: which cell, how wide, how deep, how initialised.

    Its limits are the layer's own, checked once, when :func:`recurrent_layer` builds it.
    """

    cell: str = opt("lstm", "recurrent cell", tuple(CELLS))
    hidden_size: int = opt(32, "hidden units per layer")
    num_layers: int = opt(1, "stacked recurrent layers")
    dropout: float = opt(0.0, "dropout between stacked layers")
    bidirectional: bool = opt(False, "read each sequence in both directions")
    init: str = opt("uniform", "input weight scheme W_xh (uniform is torch's U(-1/√H, 1/√H))",
                    INPUT_SCHEMES)
    recurrent_init: str = opt("", "W_hh scheme: uniform, xavier, he, orthogonal, identity; "
                              "empty = same as --init")
    forget_bias: float = opt(1.0, "LSTM forget-gate bias b_f (0 is about torch's init, f ≈ 0.5)")
    nonlinearity: str = opt("tanh", "σ of the Elman cell", NONLINEARITIES)


def recurrent_layer(
    input_size: int, cell: str = "lstm", hidden_size: int = 32, num_layers: int = 1,
    dropout: float = 0.0, bidirectional: bool = False, init: str = "uniform",
    recurrent_init: str = "", forget_bias: float | None = 1.0, nonlinearity: str = "tanh",
) -> RecurrentLayer:
    """``CELLS[cell](input_size, hidden_size, num_layers, ...)``, batch first.

    ``forget_bias`` reaches the LSTM only and ``nonlinearity`` the Elman RNN only; an empty
    ``recurrent_init`` means the same scheme as ``init``. The layer checks the rest.

    >>> recurrent_layer(3, "gru", hidden_size=8).weight_hh_l0.shape
    torch.Size([24, 8])
    """
    check_choice("cell", cell, tuple(CELLS))
    extra = {"lstm": {"forget_bias": forget_bias}, "rnn": {"nonlinearity": nonlinearity}}
    return CELLS[cell](input_size, hidden_size, num_layers, batch_first=True, dropout=dropout,
                       bidirectional=bidirectional, init=init,
                       recurrent_init=recurrent_init or None, **extra.get(cell, {}))


class SequenceRegressor(nn.Module):
    """A recurrent stack read at the end of the window, then a linear head: many-to-one.

    Math:
        h_T = RNN(x_1 .. x_T)                  (last layer; [h→_T, h←_1] if bidirectional)
        y   = W_hy h_T + b_y                   (the tutorial's o_t = W_ho h_t + b_o, at t = T)
    Shapes: x (B, T, F) -> y (B, output_size).

    The keyword arguments after ``output_size`` are :class:`ModelConfig`'s fields.

    Example:
        >>> model = SequenceRegressor(input_size=2, hidden_size=8, output_size=3)
        >>> y, loss, (h, c) = model(torch.zeros(4, 10, 2), torch.zeros(4, 3))
        >>> tuple(y.shape), tuple(h.shape), loss.item() >= 0
        ((4, 3), (1, 4, 8), True)
    """

    def __init__(
        self, input_size: int, hidden_size: int = 32, output_size: int = 1, cell: str = "lstm",
        num_layers: int = 1, dropout: float = 0.0, bidirectional: bool = False,
        init: str = "uniform", recurrent_init: str = "", forget_bias: float | None = 1.0,
        nonlinearity: str = "tanh", loss: str = "mse",
    ) -> None:
        super().__init__()
        check_positive_int("output_size", output_size)
        self.loss = check_choice("loss", loss, tuple(LOSSES))
        self.rnn = recurrent_layer(input_size, cell, hidden_size, num_layers, dropout,
                                   bidirectional, init, recurrent_init, forget_bias,
                                   nonlinearity)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        _, state = self.rnn(x, state)
        h_n = state[0] if isinstance(state, tuple) else state  # (L·D, B, H)
        directions = 2 if self.rnn.bidirectional else 1
        last = torch.cat(list(h_n[-directions:]), dim=-1)  # (B, D·H): the last layer's finals
        y = self.head(last)
        loss = None if targets is None else LOSSES[self.loss](y, targets)
        return y, loss, state


class SequenceTagger(nn.Module):
    """A recurrent stack read at every step, then a linear head over classes: many-to-many.

    Math:
        h_1 .. h_T = RNN(x_1 .. x_T)           (last layer; [h→_t, h←_t] if bidirectional)
        z_t = W_hy h_t + b_y                   (logits over C classes, at every t)
        L   = -1/(B·T) Σ_b Σ_t log softmax(z_t)[y_t]      (mean cross-entropy per step)
    Shapes: x (B, T, F), targets (B, T) int64 in [0, C) -> logits (B, T, C), loss scalar.

    The keyword arguments after ``num_classes`` are :class:`ModelConfig`'s fields (e.g.
    ``cell="rnn", nonlinearity="relu", recurrent_init="identity"`` for Le et al.'s IRNN).

    Example:
        >>> model = SequenceTagger(input_size=10, hidden_size=8, num_classes=9)
        >>> logits, loss, _ = model(torch.zeros(4, 7, 10), torch.zeros(4, 7, dtype=torch.int64))
        >>> tuple(logits.shape), loss.item() > 0
        ((4, 7, 9), True)
    """

    def __init__(
        self, input_size: int, hidden_size: int = 32, num_classes: int = 2, cell: str = "lstm",
        num_layers: int = 1, dropout: float = 0.0, bidirectional: bool = False,
        init: str = "uniform", recurrent_init: str = "", forget_bias: float | None = 1.0,
        nonlinearity: str = "tanh",
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.rnn = recurrent_layer(input_size, cell, hidden_size, num_layers, dropout,
                                   bidirectional, init, recurrent_init, forget_bias,
                                   nonlinearity)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        out, state = self.rnn(x, state)  # (B, T, D·H)
        logits = self.head(out)  # (B, T, C)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, self.num_classes), targets.reshape(-1))
        return logits, loss, state


class CharLM(nn.Module):
    """A character-level language model: embedding -> recurrent stack -> linear to the vocabulary.

    Math:
        e_t = E[x_t]                       (embedding, V -> E)
        h_t = RNN(e_1 .. e_t)              (stacked, dropout between layers)
        p(x_{t+1} | x_≤t) = softmax(W_hy dropout(h_t) + b_y)
    Returns (logits (B, T, V), mean cross-entropy in nats | None, state). The embedding and the
    output weights are tied (one matrix, Press & Wolf 2017) when ``embedding_size`` equals
    ``hidden_size``. A language model reads forwards only: ``bidirectional`` is refused.

    Example:
        >>> model = CharLM(vocab_size=5, hidden_size=8)
        >>> logits, loss, state = model(torch.zeros(2, 3, dtype=torch.int64))
        >>> tuple(logits.shape), loss is None, model.head.weight is model.embedding.weight
        ((2, 3, 5), True, True)
    """

    def __init__(
        self, vocab_size: int, hidden_size: int = 256, num_layers: int = 2, cell: str = "lstm",
        dropout: float = 0.0, bidirectional: bool = False, init: str = "uniform",
        recurrent_init: str = "", forget_bias: float | None = 1.0, nonlinearity: str = "tanh",
        embedding_size: int | None = None,
    ) -> None:
        super().__init__()
        if bidirectional:
            raise InputError("bidirectional must be False for a language model: it would read "
                             "the characters it has to predict")
        embedding_size = embedding_size or hidden_size
        self.embedding = nn.Embedding(check_positive_int("vocab_size", vocab_size),
                                      embedding_size)
        self.rnn = recurrent_layer(embedding_size, cell, hidden_size, num_layers, dropout, False,
                                   init, recurrent_init, forget_bias, nonlinearity)
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
