"""InputError and the argument checks every rnnkit module uses.

Every check names the argument, what is allowed and what came, so a user can fix the call from the
message alone. ``InputError`` subclasses ``ValueError`` (so ``except ValueError`` keeps working);
type problems raise ``TypeError``.
"""

import math
import numbers
from collections.abc import Sequence


class InputError(ValueError):
    """A user-supplied argument, file or column is unusable; the message says which and why."""


class TrainingDiverged(RuntimeError):
    """The loss or the gradient stopped being finite; the last good checkpoint is kept."""

    def __init__(self, step: int, epoch: int, what: str, last_finite_loss: float | None) -> None:
        last = "none" if last_finite_loss is None else f"{last_finite_loss:.6g}"
        super().__init__(
            f"training diverged at step {step} (epoch {epoch + 1}): {what} is not finite; last "
            f"finite loss {last}. Lower `learning_rate` or clip gradients (`grad_clip`)")
        self.step, self.epoch, self.last_finite_loss = step, epoch, last_finite_loss


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise InputError(f"{name} must be a positive int, got {value}")
    return value


def check_non_negative_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 0, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise InputError(f"{name} must be a non-negative int, got {value}")
    return value


def check_in_range(
    name: str, value: float, low: float, high: float, *, low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` if it lies in the interval [low, high] (ends open when asked); NaN
    lies in none."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if math.isnan(value):
        raise InputError(f"{name} must be a number, got nan")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise InputError(f"{name} must lie in {interval}, got {value}")
    return value


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise InputError(f"{name} must be one of {allowed}, got {value!r}")
    return value  # type: ignore[return-value]


def check_shape(name: str, shape: Sequence[int], expected: Sequence[int | None], what: str) -> None:
    """Raise unless ``shape`` matches ``expected`` (``None`` matches any size).

    ``what`` spells the expected layout for the message, e.g. ``"(T, B, 3) for input_size=3"``.
    """
    ok = len(shape) == len(expected) and all(
        e is None or s == e for s, e in zip(shape, expected, strict=True)
    )
    if not ok:
        raise InputError(f"{name} must have shape {what}, got {tuple(shape)}")
