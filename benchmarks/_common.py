"""What every comparison in benchmarks/ does before it believes a time (imported by the scripts;
``python benchmarks/X.py`` puts this folder on sys.path).

- ``pin_threads(n)``: torch's intra-op threads and the NumPy/SciPy BLAS pools, all set to n, so
  neither side runs on a thread count of its own choosing (rnnkit's policy, or BLAS's default).
- ``warm_up(sides)``: one untimed call of every side (allocator, kernels, lazy imports, the
  page cache of a child process's files) before any timing; its results serve ``same_work``.
- ``rounds(sides, repeats)``: the order of the sides alternates from round to round, so a
  machine that slows down (or speeds up) during a run does not favour whichever side runs first.
- ``alternated(sides, repeats)`` collects each side's measure in that order, ``timed(run)``
  makes a call's wall seconds its measure; ``medians`` and ``speedups`` summarise them against
  a reference side measured in the same run (never against a figure from another run).
- ``same_work(what, **sides)``: raises unless every side reports the same value (hidden size,
  epochs, optimizer steps, windows...): a speed ratio between different amounts of work is
  not a speed ratio.
"""

import statistics
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)  # a side's name: a string, a thread count, a (setting, runs)
T = TypeVar("T")


def pin_threads(threads: int) -> int:
    """Set torch's and BLAS's threads to ``threads``; returns it."""
    from rnnkit.training.runtime import set_threads

    if threads < 1:
        raise SystemExit(f"--threads must be a positive int, got {threads}")
    set_threads(threads)
    return threads


def warm_up(sides: Mapping[K, Callable[[], T]]) -> dict[K, T]:
    """Call every side once, untimed; what each returned, by side."""
    return {name: run() for name, run in sides.items()}


def rounds(sides: Sequence[K], repeats: int) -> Iterator[K]:
    """Every side once per round, ``repeats`` rounds, the order reversed every other round."""
    for repeat in range(repeats):
        yield from (sides if repeat % 2 == 0 else list(reversed(sides)))


def alternated(sides: Mapping[K, Callable[[], float]], repeats: int) -> dict[K, list[float]]:
    """``repeats`` measures of every side, the sides called in the order of :func:`rounds`."""
    measures: dict[K, list[float]] = {name: [] for name in sides}
    for name in rounds(list(sides), repeats):
        measures[name].append(sides[name]())
    return measures


def timed(run: Callable[[], object]) -> Callable[[], float]:
    """``run`` as a side whose measure is the wall seconds of one call."""
    def seconds() -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    return seconds


def medians(measures: Mapping[K, Sequence[float]]) -> dict[K, float]:
    """The median of every side's measures."""
    return {name: statistics.median(values) for name, values in measures.items()}


def speedups(medians: Mapping[K, float], reference: K, rate: bool = False) -> dict[K, float]:
    """Every side's speed against ``reference``'s from the same run: reference seconds / side
    seconds, or for rates (``rate=True``: windows/s, tokens/s) side rate / reference rate."""
    base = medians[reference]
    return {name: (value / base if rate else base / value) for name, value in medians.items()}


def same_work(what: str, **sides) -> None:
    """Raise SystemExit naming ``what`` unless all the sides' values are equal."""
    if len({repr(value) for value in sides.values()}) > 1:
        raise SystemExit(f"not the same work: {what} differs: "
                         + ", ".join(f"{side} {value!r}" for side, value in sides.items()))
