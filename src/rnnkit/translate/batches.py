"""Batches of sentence pairs for :func:`rnnkit.training.loop.train`: x (B, S) source ids and
y (B, T + 2) target ids framed by BOS and EOS, both padded with 0.

Pairs of like length share a batch (fewer pads): each epoch sorts the pairs by source length
after a seeded jitter, cuts the order into batches and shuffles the batches.
"""

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from rnnkit.seq2seq import BOS, EOS, PAD


def padded(rows: list[list[int]]) -> Tensor:
    """Token rows padded with ``PAD`` into one (B, max length) tensor.

    >>> padded([[5, 6], [7]]).tolist()
    [[5, 6], [7, 0]]
    """
    out = torch.full((len(rows), max(1, max(len(r) for r in rows))), PAD, dtype=torch.long)
    for b, row in enumerate(rows):
        out[b, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


class PairBatches:
    """The batches of the module docstring; ``before_epoch(epoch)`` runs as each epoch starts
    (the teacher-forcing schedule), ``fixed`` keeps one order (validation)."""

    def __init__(self, sources: list[list[int]], targets: list[list[int]], batch_size: int,
                 seed: int, fixed: bool = False,
                 before_epoch: Callable[[int], None] | None = None) -> None:
        self.sources, self.batch_size, self.seed, self.fixed = sources, batch_size, seed, fixed
        self.targets = [[BOS, *t, EOS] for t in targets]
        self.before_epoch = before_epoch

    def __len__(self) -> int:
        return -(-len(self.sources) // self.batch_size)

    @property
    def num_samples(self) -> int:
        return len(self.sources)

    def epoch(self, epoch: int):
        if self.before_epoch is not None:
            self.before_epoch(epoch)
        rng = np.random.default_rng([self.seed, 0 if self.fixed else epoch])
        lengths = np.array([len(s) for s in self.sources], dtype=float)
        order = np.argsort(lengths + rng.uniform(0, 2, len(lengths)), kind="stable")
        batches = [order[k: k + self.batch_size] for k in range(0, len(order), self.batch_size)]
        for b in (range(len(batches)) if self.fixed else rng.permutation(len(batches))):
            rows = batches[b]
            yield (padded([self.sources[k] for k in rows]),
                   padded([self.targets[k] for k in rows]))


__all__ = ["PairBatches", "padded"]
