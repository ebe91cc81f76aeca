"""Heads on recurrent layers: models whose forward(x, targets=None) returns (prediction, loss).

Built by name from ``CELLS``; everything here is batch first, x (B, T, F).
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit._checks import check_choice, check_positive_int
from rnnkit.layers import GRU, LSTM, RNN

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
LOSSES = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}


class SequenceRegressor(nn.Module):
    """A recurrent stack read at the end of the window, then a linear head: many-to-one.

    Math:
        h_T = RNN(x_1 .. x_T)                  (last layer; [h→_T, h←_1] if bidirectional)
        y   = W_hy h_T + b_y                   (the tutorial's o_t = W_ho h_t + b_o, at t = T)
    Shapes: x (B, T, F) -> y (B, output_size).

    Example:
        >>> model = SequenceRegressor(input_size=2, hidden_size=8, output_size=3)
        >>> y, loss = model(torch.zeros(4, 10, 2), torch.zeros(4, 3))
        >>> tuple(y.shape), loss.item() >= 0
        ((4, 3), True)
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int = 1, cell: str = "lstm",
        num_layers: int = 1, dropout: float = 0.0, bidirectional: bool = False,
        forget_bias: float | None = 1.0, loss: str = "mse",
    ) -> None:
        super().__init__()
        check_choice("cell", cell, tuple(CELLS))
        check_positive_int("output_size", output_size)
        self.loss = check_choice("loss", loss, tuple(LOSSES))
        extra = {"forget_bias": forget_bias} if cell == "lstm" else {}
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True,
                               dropout=dropout, bidirectional=bidirectional, **extra)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def forward(self, x: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        _, state = self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state  # (L·D, B, H)
        directions = 2 if self.rnn.bidirectional else 1
        last = torch.cat(list(h_n[-directions:]), dim=-1)  # (B, D·H): the last layer's finals
        y = self.head(last)
        loss = None if targets is None else LOSSES[self.loss](y, targets)
        return y, loss


class SequenceTagger(nn.Module):
    """A recurrent stack read at every step, then a linear head over classes: many-to-many.

    Math:
        h_1 .. h_T = RNN(x_1 .. x_T)           (last layer; [h→_t, h←_t] if bidirectional)
        z_t = W_hy h_t + b_y                   (logits over C classes, at every t)
        L   = -1/(B·T) Σ_b Σ_t log softmax(z_t)[y_t]      (mean cross-entropy per step)
    Shapes: x (B, T, F), targets (B, T) int64 in [0, C) -> logits (B, T, C), loss scalar.

    ``forget_bias`` sets the LSTM forget-gate bias b_f (ignored by the other cells); the
    remaining keywords go to the layer (e.g. ``nonlinearity="relu", recurrent_init="identity"``
    for Le et al.'s IRNN, ``dropout``, ``bidirectional``).

    Example:
        >>> model = SequenceTagger(input_size=10, hidden_size=8, num_classes=9)
        >>> logits, loss = model(torch.zeros(4, 7, 10), torch.zeros(4, 7, dtype=torch.int64))
        >>> tuple(logits.shape), loss.item() > 0
        ((4, 7, 9), True)
    """

    def __init__(
        self, input_size: int, hidden_size: int, num_classes: int, cell: str = "lstm",
        num_layers: int = 1, forget_bias: float | None = 1.0, **layer_kwargs,
    ) -> None:
        super().__init__()
        check_choice("cell", cell, tuple(CELLS))
        self.num_classes = check_positive_int("num_classes", num_classes)
        extra = {"forget_bias": forget_bias} if cell == "lstm" else {}
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers, batch_first=True,
                               **extra, **layer_kwargs)
        self.head = nn.Linear(hidden_size * (2 if self.rnn.bidirectional else 1), num_classes)

    def forward(self, x: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        out, _ = self.rnn(x)  # (B, T, D·H)
        logits = self.head(out)  # (B, T, C)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, self.num_classes), targets.reshape(-1))
        return logits, loss
