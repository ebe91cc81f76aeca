"""What the trainer iterates over: mini-batches of windows, or streams served chunk by chunk.

Each kind has ``len()`` (batches per epoch), ``num_samples`` and ``epoch(e)``, which yields
(x, y) CPU tensors; :func:`rnnkit.training.loop.train` moves them to the model's device and, under
torchrun, gives each rank its share of the rows.
"""

import math
from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor

from rnnkit._checks import InputError, check_non_negative_int


class Batches:
    """Mini-batches of windows (x (M, T, F), y (M, H)), reshuffled each epoch from the seed.

    The arrays may be read-only strided views (rnnkit.forecast.windows.make_windows): only the rows
    of one batch are gathered (copied) at a time, so memory stays O(rows of the series). With
    ``max_batches`` an epoch is the first ``max_batches`` batches of that epoch's shuffle: a fresh
    random subset of the windows each epoch (all of them when there are fewer).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
                 seed: int = 0, max_batches: int = 0) -> None:
        self.x, self.y = x, y
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.max_batches = check_non_negative_int("max_batches", max_batches)

    def __len__(self) -> int:
        batches = math.ceil(len(self.x) / self.batch_size)
        return min(batches, self.max_batches) if self.max_batches else batches

    @property
    def num_samples(self) -> int:
        return len(self.x)

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        order = np.arange(len(self.x))
        if self.shuffle:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            rows = order[start : start + self.batch_size]
            yield (torch.from_numpy(self.x[rows].astype(np.float32)),
                   torch.from_numpy(self.y[rows].astype(np.float32)))


class StreamBatches:
    """A long series cut into B parallel streams, served as consecutive chunks (stateful).

    Row b of every batch continues row b of the previous one: stream b is rows
    [b·S, (b+1)·S) of the series, S = N // B, and chunk j holds its steps [j·k1, (j+1)·k1).
    So a model may carry its state from chunk to chunk (truncated BPTT): ``train`` does that
    for batches with ``stateful = True``. Shapes: x (N, F), y (N, ...) -> chunks (B, k1, ...).
    """

    stateful = True

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seq_len: int) -> None:
        streams = len(x) // batch_size
        if streams < 1:
            raise InputError(f"batch_size={batch_size} is larger than the series ({len(x)} rows)")
        usable = streams * batch_size  # the ragged tail rows are dropped
        self.x = np.asarray(x)[:usable].reshape(batch_size, streams, *np.shape(x)[1:])
        self.y = np.asarray(y)[:usable].reshape(batch_size, streams, *np.shape(y)[1:])
        self.seq_len = seq_len

    def __len__(self) -> int:
        return math.ceil(self.x.shape[1] / self.seq_len)

    @property
    def num_samples(self) -> int:
        return self.x.shape[0]

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        for start in range(0, self.x.shape[1], self.seq_len):
            chunk = slice(start, start + self.seq_len)
            yield torch.from_numpy(self.x[:, chunk]), torch.from_numpy(self.y[:, chunk])
