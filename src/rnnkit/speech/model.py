"""The acoustic model: a bidirectional recurrent network over log-mel frames that gives, for
every frame, the log-probability of each label and of CTC's blank.

For frames F̂_1 .. F̂_T of one utterance (B utterances padded to one length, with their lengths):

    u_s     = [F̂_{2s-1}, F̂_{2s}]                    pairs of frames stacked: S = ⌈T / 2⌉ steps
    h_s     = [h→_s, h←_s]                          a stacked bidirectional GRU or LSTM
                                                    (:mod:`rnnkit.nn`, packed: padding never
                                                    reaches it)
    log p_s = log_softmax(W_hy h_s + b_y)           over blank (0) and the labels 1 .. V

Trained with Connectionist Temporal Classification (Graves et al. 2006,
``torch.nn.CTCLoss``): the loss is -log of the summed probability of every frame alignment
that collapses (repeats merged, blanks dropped) to the transcript, so no frame needs a label.
"""

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit._checks import check_choice, check_positive_int
from rnnkit.nn.models import recurrent_layer

STACK = 2  # frames per recurrent step


class AcousticModel(nn.Module):
    """``log_probs(frames (B, T, M), lengths (B,))`` -> log-probabilities (B, S, 1 + V) and
    the output lengths (B,) (module docstring). ``forward(x, targets)`` is the same on a batch
    padded with NaN after each utterance's end, with the CTC loss of ``targets`` (B, L: label
    ids, 0 after each transcript's end): the model of :func:`rnnkit.training.loop.train`.

    >>> model = AcousticModel(n_mels=40, labels=10, hidden_size=16)
    >>> log_probs, lengths = model.log_probs(torch.randn(3, 21, 40), torch.tensor([21, 10, 3]))
    >>> tuple(log_probs.shape), lengths.tolist()
    ((3, 11, 11), [11, 5, 2])
    """

    def __init__(self, n_mels: int = 40, labels: int = 10, hidden_size: int = 128,
                 num_layers: int = 2, cell: str = "gru", dropout: float = 0.1) -> None:
        super().__init__()
        check_positive_int("n_mels", n_mels)
        check_positive_int("labels", labels)
        check_choice("cell", cell, ("gru", "lstm"))
        self.rnn = recurrent_layer(STACK * n_mels, cell, hidden_size, num_layers,
                                   dropout=dropout if num_layers > 1 else 0.0,
                                   bidirectional=True)
        self.head = nn.Linear(2 * hidden_size, 1 + labels)

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        lengths = (~torch.isnan(x).any(dim=-1)).sum(dim=1)
        log_probs, out_lengths = self.log_probs(torch.nan_to_num(x), lengths)
        if targets is None:
            return log_probs, None, None
        labels = [[int(k) for k in row if k > 0] for row in targets]
        return log_probs, ctc_loss(log_probs, out_lengths, labels), None

    def log_probs(self, frames: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        batch, steps, bands = frames.shape
        pad = (-steps) % STACK
        if pad:
            frames = torch.cat([frames, frames.new_zeros(batch, pad, bands)], dim=1)
        u = frames.reshape(batch, -1, STACK * bands)  # (B, S, 2M)
        out_lengths = (lengths + STACK - 1) // STACK
        packed = pack_padded_sequence(u, out_lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        h, _ = self.rnn(packed)
        h, _ = pad_packed_sequence(h, batch_first=True, total_length=u.shape[1])  # (B, S, 2H)
        return torch.log_softmax(self.head(h), dim=-1), out_lengths


def ctc_loss(log_probs: Tensor, lengths: Tensor, targets: list[list[int]]) -> Tensor:
    """The mean CTC loss per target label of a batch (targets: label ids 1 .. V each)."""
    flat = torch.tensor([k for t in targets for k in t], dtype=torch.long)
    target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    loss = nn.functional.ctc_loss(log_probs.transpose(0, 1), flat, lengths, target_lengths,
                                  blank=0, reduction="sum", zero_infinity=True)
    return loss / target_lengths.sum().clamp(min=1)


__all__ = ["AcousticModel", "ctc_loss"]
