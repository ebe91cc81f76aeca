"""Synthetic chaotic series for benchmarking reservoirs.

Pure NumPy and Python floats, no I/O: a series is made from its parameters and a seed alone.
"""

import math
from collections import deque

import numpy as np

from rnnkit._checks import InputError, check_in_range, check_non_negative_int, check_positive_int

__all__ = ["mackey_glass"]

_GRID_TOL = 1e-9  # how far tau / dt and sample_step / dt may sit from a whole number


def mackey_glass(
    n_steps: int, *, tau: float = 17.0, a: float = 0.2, b: float = 0.1, n: float = 10.0,
    x0: float = 1.2, dt: float = 0.1, sample_step: float = 1.0, discard: int = 0,
    seed: int | None = None,
) -> np.ndarray:
    """The Mackey-Glass delay differential equation, sampled every ``sample_step`` time units.

    Math (Mackey & Glass 1977, "Oscillation and chaos in physiological control systems"):
        dx/dt = a · x(t - τ) / (1 + x(t - τ)^n) - b · x(t)
        x(t) = x0 on [-τ, 0]  (with ``seed``: x0 + u_j, u_j ~ U(-0.1, 0.1) at each grid point)
    With the defaults (τ = 17, a = 0.2, b = 0.1, n = 10) the attractor is chaotic: the series
    Jaeger & Haas 2004 forecast with an echo state network. τ = 0 makes it the ODE
    dx/dt = a · x / (1 + x^n) - b · x.

    Discretisation: classical RK4 on the grid t_i = i · dt, with the delay m = τ / dt steps,
    x_i ≈ x(t_i) and g(y) = a · y / (1 + y^n):
        k1 = g(x_{i-m})                          - b · x_i
        k2 = g((x_{i-m} + x_{i-m+1}) / 2)        - b · (x_i + dt/2 · k1)
        k3 = g((x_{i-m} + x_{i-m+1}) / 2)        - b · (x_i + dt/2 · k2)
        k4 = g(x_{i-m+1})                        - b · (x_i + dt · k3)
        x_{i+1} = x_i + dt/6 · (k1 + 2 k2 + 2 k3 + k4)
    The delayed value at the half step is linearly interpolated, an O(dt²) error, so the scheme
    converges with order 2 in dt, not 4, once t > τ (exactly RK4 on [0, τ], where the history
    is known). With τ = 0 the stages use the RK4 stage values themselves.

    Parameters
    ----------
    n_steps
        Number of samples returned. Sample k is x(k · sample_step), k = 0 .. n_steps - 1,
        counted after the transient: with ``discard`` = d it is x((d + k) · sample_step).
    tau
        Delay τ >= 0, a whole multiple of ``dt`` (within 1e-9 steps).
    a, b, n
        Production rate, decay rate and Hill exponent.
    x0
        History value on [-τ, 0]; sample 0 is x0 when ``seed`` is None and ``discard`` = 0.
    dt
        Integration step > 0.
    sample_step
        Time between samples, >= ``dt`` and a whole multiple of it (within 1e-9 steps).
    discard
        Number of leading samples dropped as the transient.
    seed
        None: the constant history x0, fully deterministic. An int: x0 plus uniform noise in
        ±0.1 at each of the τ / dt + 1 grid points of [-τ, 0] (t = 0 included), drawn from
        ``numpy.random.default_rng(seed)``, so different seeds give different trajectories.

    Returns
    -------
    np.ndarray
        Shape (n_steps,), float64.

    Raises
    ------
    InputError
        ``n_steps`` < 1, ``discard`` < 0, ``dt`` <= 0, ``tau`` < 0, ``sample_step`` < ``dt``,
        or ``tau`` / ``sample_step`` not a whole multiple of ``dt``.

    Example
    -------
    >>> x = mackey_glass(1000, discard=500)
    >>> x.shape, x.dtype, bool(0.2 < x.min() and x.max() < 1.45)
    ((1000,), dtype('float64'), True)
    """
    check_positive_int("n_steps", n_steps)
    check_non_negative_int("discard", discard)
    check_in_range("dt", dt, 0.0, math.inf, low_open=True, high_open=True)
    check_in_range("tau", tau, 0.0, math.inf, high_open=True)
    check_in_range("sample_step", sample_step, dt, math.inf, high_open=True)
    delay = _grid_steps("tau", tau, dt)
    stride = _grid_steps("sample_step", sample_step, dt)
    a, b, n, x0, dt = float(a), float(b), float(n), float(x0), float(dt)

    history = np.full(delay + 1, x0)  # x on the grid points of [-τ, 0], oldest first
    if seed is not None:
        history += np.random.default_rng(seed).uniform(-0.1, 0.1, size=delay + 1)
    # x_{i-m} .. x_i as Python floats: the loop below is all scalar arithmetic, which is
    # faster on Python floats than on NumPy scalars
    lags = deque(history.tolist(), maxlen=delay + 1)
    x = lags[-1]
    half = 0.5 * dt

    out = np.empty(n_steps)
    total = discard + n_steps
    g1 = a * lags[0] / (1.0 + lags[0] ** n)  # g(x_{i-m}), carried over from the last step's k4
    for k in range(total):
        if k >= discard:
            out[k - discard] = x
        if k == total - 1:
            break
        for _ in range(stride):
            if delay == 0:  # an ODE: the "delayed" value is each stage's own value
                k1 = a * x / (1.0 + x**n) - b * x
                y = x + half * k1
                k2 = a * y / (1.0 + y**n) - b * y
                y = x + half * k2
                k3 = a * y / (1.0 + y**n) - b * y
                y = x + dt * k3
                k4 = a * y / (1.0 + y**n) - b * y
            else:
                lag_mid = 0.5 * (lags[0] + lags[1])  # x(t_i + dt/2 - τ), linear interpolation
                lag_next = lags[1]  # x_{i-m+1} = x(t_{i+1} - τ)
                g0 = g1
                g_mid = a * lag_mid / (1.0 + lag_mid**n)
                g1 = a * lag_next / (1.0 + lag_next**n)
                k1 = g0 - b * x
                k2 = g_mid - b * (x + half * k1)
                k3 = g_mid - b * (x + half * k2)
                k4 = g1 - b * (x + dt * k3)
            x += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            lags.append(x)  # drops x_{i-m}: the deque holds the last m + 1 grid values
    return out


def _grid_steps(name: str, value: float, dt: float) -> int:
    """Return value / dt as an int, or raise naming ``name`` if it is not whole within 1e-9."""
    ratio = value / dt
    steps = round(ratio) if math.isfinite(ratio) else None
    if steps is None or abs(ratio - steps) > _GRID_TOL:
        raise InputError(
            f"{name} must be a whole multiple of dt={dt}, got {name}={value} ({name} / dt = "
            f"{ratio!r})")
    return steps
