"""rnnkit.esn_eval: NRMSE, the training-part scaling, scoring a series and random search."""

import numpy as np
import pytest

from rnnkit._checks import InputError
from rnnkit.esn import ESN
from rnnkit.esn_eval import SEARCH_SPACE, nrmse, random_search, score_series, standardize


def test_nrmse():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(100)
    assert nrmse(a, a) == 0.0
    assert nrmse(a, np.full(100, a.mean())) == pytest.approx(1.0)  # the mean scores 1
    assert nrmse(a, a + 0.5 * a.std()) == pytest.approx(0.5)
    with pytest.raises(InputError, match="nrmse"):
        nrmse(a, a[:-1])


def test_standardize_uses_the_training_part_only():
    series = np.r_[np.arange(10.0), 1000.0 * np.ones(5)]
    z, mean, std = standardize(series, 10)
    assert (mean, std) == (4.5, pytest.approx(np.arange(10.0).std()))
    np.testing.assert_allclose(z, (series - 4.5) / np.arange(10.0).std())
    with pytest.raises(InputError, match="constant"):
        standardize(np.ones(20), 10)


def test_score_series_naive_baselines_are_the_closed_forms():
    t = np.arange(600)
    series = np.sin(t / 7)
    metrics, predictions = score_series(ESN(units=40, seed=0), series, 500, horizons=(20, 50))
    actual = series[500:]
    assert metrics["naive_nrmse"] == pytest.approx(nrmse(actual, series[499:-1]))
    assert metrics["naive_closed_loop"]["50"] == pytest.approx(
        nrmse(actual[:50], np.full(50, series[499])))
    assert metrics["nrmse"] < 0.1 * metrics["naive_nrmse"]  # a sine is easy one step ahead
    assert list(predictions.columns) == ["step", "actual", "one_step", "naive", "closed_loop"]
    assert predictions["closed_loop"].notna().sum() == 50


def test_random_search_draws_inside_the_space_and_is_seeded():
    x = np.sin(np.arange(400) / 6)
    table = random_search(x[:-1], x[1:], 300, 4, search_seed=1, units=20)
    again = random_search(x[:-1], x[1:], 300, 4, search_seed=1, units=20)
    assert table.equals(again) and len(table) == 4
    assert table["nrmse"].is_monotonic_increasing  # best first
    for name, (low, high) in SEARCH_SPACE.items():
        assert table[name].between(low, high).all()
