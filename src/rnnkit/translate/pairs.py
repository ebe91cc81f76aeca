"""Sentence pairs: read a tab-separated file of source and target sentences, and split it by
source sentence.

A file holds one pair a line, ``source<TAB>target`` (more columns, e.g. Tatoeba's attribution,
are ignored; ``.gz`` is read through gzip). A sentence with several translations appears on
several lines; :func:`split_by_source` puts every translation of a source sentence on one
side, chosen by a hash of the sentence (so the same sentence goes to the same side whatever
else the file holds), and :func:`references` groups each source's translations, every one a
reference for scoring.
"""

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from rnnkit._checks import InputError, check_in_range


@dataclass(frozen=True)
class Pairs:
    """Source and target sentences, pair by pair, and where they came from."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    origin: str

    def __len__(self) -> int:
        return len(self.sources)

    def subset(self, rows: list[int], origin: str) -> "Pairs":
        return Pairs(tuple(self.sources[k] for k in rows), tuple(self.targets[k] for k in rows),
                     origin)


def read_pairs(path: str | Path, name: str = "") -> Pairs:
    """The pairs of a file (module docstring); ``name`` is how messages call it (default:
    its path).

    Raises
    ------
    InputError
        No such file; not UTF-8 text; an empty line; a line without a tab, or with an empty
        sentence (each named by its line); no pair at all.
    """
    path, name = Path(path), name or str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such file of sentence pairs")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            lines = handle.read().splitlines()
    except (UnicodeDecodeError, OSError) as err:
        raise InputError(f"{name}: not UTF-8 text of sentence pairs ({err})") from None
    sources, targets = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise InputError(f"{name} line {number}: an empty line (one pair a line: "
                             "source<TAB>target)")
        columns = line.split("\t")
        if len(columns) < 2:
            raise InputError(f"{name} line {number}: no tab between the source and the target "
                             "sentence (one pair a line: source<TAB>target)")
        source, target = columns[0].strip(), columns[1].strip()
        if not source or not target:
            side = "source" if not source else "target"
            raise InputError(f"{name} line {number}: the {side} sentence is empty")
        sources.append(source)
        targets.append(target)
    if not sources:
        raise InputError(f"{name} holds no sentence pair")
    return Pairs(tuple(sources), tuple(targets), name)


def _share(sentence: str, salt: str) -> float:
    """A number in [0, 1) fixed by the sentence (and ``salt``)."""
    digest = hashlib.blake2b(f"{salt}\t{sentence}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2 ** 64


def split_by_source(pairs: Pairs, fraction: float, salt: str) -> tuple[Pairs, Pairs]:
    """(kept, held): about ``fraction`` of the distinct source sentences, with every pair
    that holds one, are held out (module docstring); ``salt`` names the split.

    >>> pairs = Pairs(tuple("aabcdefgh"), tuple("xyzwvutsr"), "demo")
    >>> kept, held = split_by_source(pairs, 0.5, "test")
    >>> len(kept) + len(held), set(held.sources) & set(kept.sources)
    (9, set())
    """
    check_in_range("fraction", fraction, 0.0, 1.0, low_open=True, high_open=True)
    held = [k for k, s in enumerate(pairs.sources) if _share(s, salt) < fraction]
    chosen = set(held)
    kept = [k for k in range(len(pairs)) if k not in chosen]
    if not held or not kept:
        raise InputError(f"{pairs.origin}: {len(set(pairs.sources))} source sentences are too "
                         f"few to hold out {fraction:g} of them")
    return (pairs.subset(kept, pairs.origin),
            pairs.subset(held, f"{pairs.origin} ({salt}: {fraction:g} of the sentences)"))


def references(pairs: Pairs) -> tuple[list[str], list[list[str]]]:
    """The distinct sources, in order of first appearance, and each one's translations.

    >>> references(Pairs(("a", "b", "a"), ("x", "y", "z"), "demo"))
    (['a', 'b'], [['x', 'z'], ['y']])
    """
    grouped: dict[str, list[str]] = {}
    for source, target in zip(pairs.sources, pairs.targets, strict=True):
        grouped.setdefault(source, []).append(target)
    return list(grouped), list(grouped.values())


__all__ = ["Pairs", "read_pairs", "references", "split_by_source"]
