"""Mackey-Glass series: fixed point, closed form, order of convergence, chaos, seeds, errors."""

import numpy as np
import pytest

from rnnkit._checks import InputError
from rnnkit.reservoir.chaos import mackey_glass


def test_fixed_point_stays_put():
    # x* solves a / (1 + x^n) = b: with a / b = 2 that is x*^n = 1, x* = 1 for any n
    x = mackey_glass(300, x0=1.0)
    assert x.shape == (300,) and x.dtype == np.float64
    np.testing.assert_allclose(x, 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("tau", [0.0, 17.0])
def test_pure_decay_matches_closed_form(tau):
    # a = 0 leaves dx/dt = -b x, so x(t) = x0 exp(-b t); RK4's global error is ~ (b dt)^4 t
    x = mackey_glass(40, a=0.0, b=0.1, x0=1.2, tau=tau)
    t = np.arange(40.0)
    np.testing.assert_allclose(x, 1.2 * np.exp(-0.1 * t), rtol=0, atol=1e-8)


def _max_errors(tau: float, horizon: int, x0: float) -> tuple[float, float]:
    """Max |x - reference| for dt = 0.1 and dt = 0.05 against dt = 0.0125 over [0, horizon]."""
    reference = mackey_glass(horizon + 1, tau=tau, x0=x0, dt=0.0125)
    coarse, fine = (np.max(np.abs(mackey_glass(horizon + 1, tau=tau, x0=x0, dt=dt) - reference))
                    for dt in (0.1, 0.05))
    return coarse, fine


def test_chaotic_case_converges_with_order_two():
    # Past t = τ the half-step delayed value is a linear interpolation (O(dt²) error), so halving
    # dt divides the error by ~4, not RK4's 16: measured 1.65e-5 / 3.92e-6 = 4.20 over 50 time
    # units (4.01 against a dt = 0.003125 reference). Order 1 would give 2, order 4 gives 16.
    coarse, fine = _max_errors(17.0, 50, 1.2)
    assert 3.0 < coarse / fine < 6.0
    assert fine < 1e-5


@pytest.mark.parametrize("tau, horizon, x0", [(17.0, 17, 1.2), (0.0, 20, 2.0)])
def test_rk4_is_fourth_order_where_no_interpolation_is_needed(tau, horizon, x0):
    # On [0, τ] the delayed value is the known history, and at τ = 0 the stages use their own
    # values: plain RK4 there. Measured ratios 16.1 (τ = 17) and 16.5 (τ = 0, the ODE).
    coarse, fine = _max_errors(tau, horizon, x0)
    assert 12.0 < coarse / fine < 20.0


def test_tau_17_is_bounded_and_not_settled():
    x = mackey_glass(2000, discard=500)
    assert x.min() > 0.2 and x.max() < 1.45  # measured 0.418 .. 1.318
    # std 0.225; rules out the fixed point only (the τ = 8 limit cycle has 0.157): aperiodicity
    # is what the sensitivity test below shows
    assert x.std() > 0.1


@pytest.mark.parametrize("tau, diverges", [(17.0, True), (8.0, False)])
def test_sensitive_dependence_on_the_history(tau, diverges):
    # Histories 1e-9 apart. τ = 17: the gap first exceeds 1e-2 at t = 3442 (largest Lyapunov
    # exponent ~ ln(1e7) / 3400 ≈ 0.005 per time unit, so 1000 time units only reach ~1e-7).
    # τ = 8 is a stable limit cycle: the same gap stays ~1e-9 for 4000 time units.
    a = mackey_glass(4001, tau=tau, x0=1.2)
    b = mackey_glass(4001, tau=tau, x0=1.2 + 1e-9)
    gap = np.max(np.abs(a - b))
    assert (gap > 1e-2) if diverges else (gap < 1e-8)


def test_seeds():
    assert np.array_equal(mackey_glass(300, seed=3), mackey_glass(300, seed=3))
    assert not np.allclose(mackey_glass(300, seed=3), mackey_glass(300, seed=4))
    assert np.array_equal(mackey_glass(300), mackey_glass(300))
    noisy = mackey_glass(1, seed=3)[0]  # x(0) is one of the noisy history points
    assert noisy != 1.2 and abs(noisy - 1.2) <= 0.1
    assert mackey_glass(1)[0] == 1.2


def test_discard_drops_leading_samples():
    assert np.array_equal(mackey_glass(10, discard=5), mackey_glass(15)[5:])


def test_sample_k_is_at_time_k_times_sample_step():
    # samples at t = 0, 2, 4, 6, 8 against t = 0, 1, ..., 9: the same RK4 steps, bit for bit
    assert np.array_equal(mackey_glass(5, sample_step=2.0), mackey_glass(10)[::2])
    assert np.array_equal(mackey_glass(11), mackey_glass(101, sample_step=0.1)[::10])


@pytest.mark.parametrize("kwargs, name", [
    ({"n_steps": 0}, "n_steps"),
    ({"discard": -1}, "discard"),
    ({"dt": 0.0}, "dt"),
    ({"tau": -1.0}, "tau"),
    ({"tau": 17.05}, "tau"),  # 170.5 steps of dt = 0.1
    ({"sample_step": 0.05}, "sample_step"),  # finer than dt
    ({"sample_step": 1.05}, "sample_step"),  # not a whole number of steps
])
def test_bad_arguments_name_themselves(kwargs, name):
    kwargs = {"n_steps": 10, **kwargs}
    with pytest.raises(InputError, match=f"^{name} must"):
        mackey_glass(**kwargs)
