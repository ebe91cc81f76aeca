"""What every comparison in benchmarks/ does before it believes a time (imported by the scripts;
``python benchmarks/X.py`` puts this folder on sys.path).

- ``pin_threads(n)``: torch's intra-op threads and the NumPy/SciPy BLAS pools, all set to n, so
  neither side runs on a thread count of its own choosing (rnnkit's policy, or BLAS's default).
- ``rounds(sides, repeats)``: the order of the sides alternates from round to round, so a
  machine that slows down (or speeds up) during a run does not favour whichever side runs first.
- ``same_work(what, **sides)``: raises unless every side reports the same value (hidden size,
  epochs, optimizer steps, windows...): a speed ratio between different amounts of work is
  not a speed ratio.
- Warm-up is each script's own (one untimed pass per side: allocator, kernels, lazy imports).
"""

from collections.abc import Iterator, Sequence


def pin_threads(threads: int) -> int:
    """Set torch's and BLAS's threads to ``threads``; returns it."""
    from rnnkit.training.runtime import set_threads

    if threads < 1:
        raise SystemExit(f"--threads must be a positive int, got {threads}")
    set_threads(threads)
    return threads


def rounds(sides: Sequence[str], repeats: int) -> Iterator[str]:
    """Every side once per round, ``repeats`` rounds, the order reversed every other round."""
    for repeat in range(repeats):
        yield from (sides if repeat % 2 == 0 else list(reversed(sides)))


def same_work(what: str, **sides) -> None:
    """Raise SystemExit naming ``what`` unless all the sides' values are equal."""
    if len({repr(value) for value in sides.values()}) > 1:
        raise SystemExit(f"not the same work: {what} differs: "
                         + ", ".join(f"{side} {value!r}" for side, value in sides.items()))
