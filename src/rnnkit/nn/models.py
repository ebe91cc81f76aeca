"""Heads on recurrent layers, and the config that describes the recurrent stack under them.

Every model here follows the one protocol of :func:`rnnkit.training.loop.train`:
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
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit._checks import InputError, check_choice, check_in_range, check_positive_int
from rnnkit._fields import opt
from rnnkit.nn.cells import NONLINEARITIES
from rnnkit.nn.init import INPUT_SCHEMES, check_schemes
from rnnkit.nn.layers import GRU, LSTM, RNN
from rnnkit.nn.recurrent import RecurrentLayer

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
POOLINGS = ("last", "mean", "attention")
LOSSES = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent stack of a model: which cell, how wide, how deep, how initialised.

    Its limits are the layer's own, checked here when the config is made, so a job refuses a
    bad value before it reads any data (the layer checks them again when it is built alone).
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

    def __post_init__(self) -> None:
        check_choice("cell", self.cell, tuple(CELLS))
        check_positive_int("hidden_size", self.hidden_size)
        check_positive_int("num_layers", self.num_layers)
        check_in_range("dropout", self.dropout, 0.0, 1.0)
        check_schemes(self.init, self.recurrent_init or None)
        if self.forget_bias is not None:  # None: torch's own initialisation of b_f
            check_in_range("forget_bias", self.forget_bias, -1e3, 1e3)
        check_choice("nonlinearity", self.nonlinearity, NONLINEARITIES)


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


class PooledClassifier(nn.Module):
    """A recurrent stack pooled over each sequence's own steps, then a linear head over classes.

    Sequences of different lengths share a batch padded with NaN after their last step; the
    model reads each one's length off the NaNs and packs the batch, so no padding ever reaches
    a state: h_t for t <= T_b only. With ``patch`` = p each recurrent step reads p consecutive
    steps at once, u_s = [x_{(s-1)p+1}, .., x_{sp}] (p·F inputs, the last patch of a sequence
    zero-filled): a p times shorter sequence whose every input already shows a piece of shape.
    In training, ``input_noise`` σ adds N(0, σ²) to every input (augmentation for small sets).

    Math (last layer's h_s = [h→_s, h←_s] if bidirectional, S_b = patches of sequence b):
        last       z = h→_{S_b} (and h←_1, which has read the whole sequence backwards)
        mean       z = 1/S_b Σ_{s<=S_b} h_s
        attention  e_s = v^T tanh(W_a h_s + b_a),  α_s = exp(e_s) / Σ_{r<=S_b} exp(e_r),
                   z = Σ_{s<=S_b} α_s h_s          (additive attention, Bahdanau et al. 2015)
        logits = W_hy z + b_y,  L = -1/B Σ_b w_{y_b} log softmax(logits_b)[y_b]
    ``class_weight`` w (a buffer, saved with the weights; ones by default) weighs the
    cross-entropy of imbalanced classes. L is divided by B, not by Σ_b w_{y_b} (torch's
    weighted mean): balanced weights average 1 over the training set anyway, and a mean over
    rows is what DDP's ranks can average exactly. Shapes: x (B, T, F), targets (B,) class indices
    (any dtype: the trainer serves floats) -> logits (B, C), loss, state (h_n, or (h_n, c_n)).
    :meth:`encode` also returns the attention weights per input step (B, T): α_s / p on each
    step of patch s, 0 past each sequence's end, summing to 1.

    Example:
        >>> model = PooledClassifier(input_size=1, hidden_size=8, num_classes=3)
        >>> x = torch.randn(2, 5, 1); x[1, 3:] = float("nan")   # lengths 5 and 3
        >>> logits, loss, _ = model(x, torch.tensor([0.0, 2.0]))
        >>> tuple(logits.shape), loss.item() > 0, model.encode(x)[1][1, 3:].tolist()
        ((2, 3), True, [0.0, 0.0])
    """

    def __init__(
        self, input_size: int, hidden_size: int = 32, num_classes: int = 2, cell: str = "lstm",
        num_layers: int = 1, dropout: float = 0.0, bidirectional: bool = False,
        init: str = "uniform", recurrent_init: str = "", forget_bias: float | None = 1.0,
        nonlinearity: str = "tanh", pooling: str = "attention", patch: int = 1,
        input_noise: float = 0.0,
    ) -> None:
        super().__init__()
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.pooling = check_choice("pooling", pooling, POOLINGS)
        self.patch = check_positive_int("patch", patch)
        self.input_noise = check_in_range("input_noise", input_noise, 0.0, 1e3)
        self.rnn = recurrent_layer(input_size * patch, cell, hidden_size, num_layers, dropout,
                                   bidirectional, init, recurrent_init, forget_bias,
                                   nonlinearity)
        width = hidden_size * (2 if bidirectional else 1)
        if pooling == "attention":
            self.attention = nn.Sequential(nn.Linear(width, width), nn.Tanh(),
                                           nn.Linear(width, 1, bias=False))  # W_a, b_a; v
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, num_classes)
        self.register_buffer("class_weight", torch.ones(num_classes))

    def _patches(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The recurrent inputs u (B, S, p·F), zero past each end, and the lengths S_b (B,)."""
        lengths = (~torch.isnan(x).any(dim=-1)).sum(dim=1)
        x = torch.nan_to_num(x, nan=0.0)
        if self.training and self.input_noise:
            steps = torch.arange(x.shape[1], device=x.device) < lengths.unsqueeze(1)
            x = x + self.input_noise * torch.randn_like(x) * steps.unsqueeze(-1)
        p = self.patch
        if p > 1:
            x = F.pad(x, (0, 0, 0, -x.shape[1] % p)).reshape(x.shape[0], -1, p * x.shape[2])
            lengths = (lengths + p - 1) // p
        return x, lengths

    def encode(self, x: Tensor, state=None) -> tuple[Tensor, Tensor | None, object]:
        """The pooled features z (B, D·H), the attention weights (B, T) or None, the state."""
        steps_in = x.shape[1]
        u, lengths = self._patches(x)
        steps = torch.arange(u.shape[1], device=u.device) < lengths.unsqueeze(1)  # (B, S)
        if bool((lengths == u.shape[1]).all()):
            out, state = self.rnn(u, state)
        else:
            packed = pack_padded_sequence(u, lengths.cpu(), batch_first=True,
                                          enforce_sorted=False)
            out, state = self.rnn(packed, state)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=u.shape[1])
        weights = None
        if self.pooling == "last":
            h_n = state[0] if isinstance(state, tuple) else state  # (L·D, B, H)
            directions = 2 if self.rnn.bidirectional else 1
            z = torch.cat(list(h_n[-directions:]), dim=-1)
        elif self.pooling == "mean":
            z = (out * steps.unsqueeze(-1)).sum(dim=1) / lengths.unsqueeze(-1)
        else:
            scores = self.attention(out).squeeze(-1).masked_fill(~steps, float("-inf"))
            alpha = torch.softmax(scores, dim=1)
            z = torch.einsum("bs,bsd->bd", alpha, out)
            weights = alpha.repeat_interleave(self.patch, dim=1)[:, :steps_in] / self.patch
            weights = weights * ~torch.isnan(x).any(dim=-1)  # a last patch's filled steps
            weights = weights / weights.sum(dim=1, keepdim=True)
        return z, weights, state

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        z, _, state = self.encode(x, state)
        logits = self.head(self.drop(z))
        loss = None if targets is None else F.cross_entropy(
            logits, targets.reshape(-1).long(), weight=self.class_weight,
            reduction="none").mean()
        return logits, loss, state
