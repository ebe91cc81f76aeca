"""Labelled sequences for classification: the data type, its checks, splitting it by class.

A :class:`LabelledSeries` holds N sequences of F features each, of any lengths, with their ids
and class labels; :mod:`rnnkit.io.sequence_files` reads them from files (the UCR archive's
format or long format), :func:`rnnkit.io.sources.load_sequences` from a file or a bundled data
set. This module is NumPy and pandas only (no torch).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnnkit._checks import InputError, check_in_range, check_non_negative_int
from rnnkit.io.parsing import parse_number


@dataclass(frozen=True)
class LabelledSeries:
    """N sequences, the i-th a finite float64 array (T_i, F); their ids, labels (None: the file
    has none), the names of the F value columns ("value" for UCR) and the file, as messages
    name it.

    Example
    -------
    >>> data = LabelledSeries(("a", "b"), (np.ones((3, 1)), np.zeros((1, 1))), ("10", "9"),
    ...                       ("value",), "demo")
    >>> data.lengths.tolist(), data.classes, data.padded(fill=-1.0)[1, :, 0].tolist()
    ([3, 1], ('9', '10'), [0.0, -1.0, -1.0])
    """

    ids: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    labels: tuple[str, ...] | None
    features: tuple[str, ...]
    source: str

    @property
    def lengths(self) -> np.ndarray:
        """(N,) int64: the steps T_i of each sequence."""
        return np.array([len(v) for v in self.values], dtype=np.int64)

    @property
    def num_features(self) -> int:
        return len(self.features)

    @property
    def classes(self) -> tuple[str, ...]:
        """The distinct labels, as numbers sorted when all are ("-1" < "2" < "10"), else as text."""
        found = set(self.labels or ())
        if all(parse_number(label) is not None for label in found):
            return tuple(sorted(found, key=lambda s: (float(s), s)))
        return tuple(sorted(found))

    def padded(self, fill: float = np.nan) -> np.ndarray:
        """(N, T_max, F) float64: sequence i in row i's first T_i steps, ``fill`` after them."""
        longest = int(self.lengths.max()) if self.values else 0
        out = np.full((len(self.values), longest, self.num_features), fill, dtype=np.float64)
        for row, value in zip(out, self.values, strict=True):
            row[: len(value)] = value
        return out

    def subset(self, rows: Sequence[int] | np.ndarray) -> "LabelledSeries":
        """The sequences at the indices ``rows``, in that order."""
        rows = [int(r) for r in rows]
        labels = None if self.labels is None else tuple(self.labels[r] for r in rows)
        return LabelledSeries(tuple(self.ids[r] for r in rows), tuple(self.values[r] for r in rows),
                              labels, self.features, self.source)


def check_classes(data: LabelledSeries) -> tuple[str, ...]:
    """The classes of ``data``; no labels, or fewer than two classes, is an InputError."""
    if data.labels is None:
        raise InputError(f"{data.source} has no labels; a classifier needs one per sequence")
    classes = data.classes
    if len(classes) < 2:
        found = f"a single class ({classes[0]!r}) in all" if classes else "no labels in its"
        raise InputError(f"{data.source}: {found} {len(data.ids)} sequences; a classifier needs "
                         "at least two classes")
    return classes


def check_test_labels(train: LabelledSeries, test: LabelledSeries) -> None:
    """Every test label must be a class of the training sequences (None: nothing to check)."""
    known = set(train.labels or ())
    unseen = [label for label in (test.labels or ()) if label not in known]
    if unseen:
        count, more = unseen.count(unseen[0]), len(set(unseen)) - 1
        raise InputError(f"{test.source}: label {unseen[0]!r} ({count} test sequence"
                         f"{'s' if count != 1 else ''}) was never seen in training "
                         f"({train.source} has {', '.join(map(repr, train.classes))})"
                         f"{f'; {more} more unseen labels' if more else ''}")


def check_min_length(data: LabelledSeries, minimum: int, why: str) -> None:
    """Every sequence must have at least ``minimum`` steps; ``why`` says what needs them."""
    check_non_negative_int("minimum", minimum)
    lengths = data.lengths
    if len(lengths) and lengths.min() < minimum:
        k = int(lengths.argmin())
        raise InputError(f"{data.source}: sequence {data.ids[k]!r} has {lengths[k]} step"
                         f"{'s' if lengths[k] != 1 else ''}, fewer than {minimum}: {why}")


def stratified_split(labels: Sequence | np.ndarray, val_fraction: float, seed: int = 0,
                     ) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Split indices by class: (train_idx, val_idx, rare).

    Per class c of n_c members, v_c = min(⌊n_c · val_fraction + ½⌋, n_c - 1) of them, drawn by
    ``np.random.default_rng(seed)`` (classes in sorted order), go to validation, so at least
    one stays in training. A class with v_c = 0 (one member, or a share that rounds to 0)
    stays wholly in training and is listed in ``rare`` (its label as given), for the caller
    to warn. Both index arrays are sorted int64, disjoint, and cover range(len(labels)).

    Example
    -------
    >>> train_idx, val_idx, rare = stratified_split(["a"] * 8 + ["b"] * 2 + ["c"], 0.25)
    >>> len(train_idx), len(val_idx), rare   # a: 2 of 8 held out, b: 1 of 2 (0.5 rounds up)
    (8, 3, ('c',))
    """
    check_in_range("val_fraction", val_fraction, 0.0, 1.0, low_open=True, high_open=True)
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise InputError(f"labels must be one-dimensional, got shape {labels.shape}")
    rng = np.random.default_rng(seed)
    held, rare = [np.zeros(0, dtype=np.int64)], []
    classes = np.unique(labels)
    for label, given in zip(classes, classes.tolist(), strict=True):  # given: a Python scalar
        members = np.flatnonzero(labels == label)
        take = min(int(len(members) * val_fraction + 0.5), len(members) - 1)
        if take < 1:
            rare.append(given)
        else:
            held.append(rng.choice(members, take, replace=False))
    val_idx = np.sort(np.concatenate(held)).astype(np.int64)
    train_idx = np.setdiff1d(np.arange(len(labels), dtype=np.int64), val_idx)
    return train_idx, val_idx, tuple(rare)


__all__ = ["LabelledSeries", "check_classes", "check_min_length", "check_test_labels",
           "stratified_split"]
