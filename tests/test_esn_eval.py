"""rnnkit.reservoir.evaluation: NRMSE, the training-part scaling, scoring a series and random
search."""

import numpy as np
import pytest

from rnnkit._checks import InputError
from rnnkit.reservoir.esn import ESN
from rnnkit.reservoir.evaluation import (
    SEARCH_SPACE,
    nrmse,
    random_search,
    score_series,
    standardize,
)


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


class EchoStub:
    """A stand-in ESN that predicts each input as its next value (x̂_{t+1} = x_t) and, in closed
    loop, the scaled value 0 (the training mean); it records what it was given."""

    def fit(self, X, Y):
        self.fitted = (np.array(X), np.array(Y))
        return self

    def predict(self, X):
        return np.asarray(X, float)[:, None]

    def generate(self, n_steps, warmup):
        self.warmup = np.array(warmup)
        return np.zeros((n_steps, 1))


def test_score_series_against_hand_computed_nrmse_on_a_tiny_case():
    """series 1, 2, 3, 4 | 10, 12: mean 2.5, std √1.25 from the first four only."""
    series = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 12.0])
    stub = EchoStub()
    metrics, predictions = score_series(stub, series, 4, horizons=(2, 9))
    z = (series - 2.5) / np.sqrt(1.25)
    np.testing.assert_allclose(stub.fitted[0], z[:3])  # inputs x_1..x_3, targets x_2..x_4:
    np.testing.assert_allclose(stub.fitted[1], z[1:4])  # nothing of the held-out part
    np.testing.assert_allclose(stub.warmup, z[:4])
    # one step: the stub forecasts 4, 10 for the actual 10, 12 (std 1): sqrt((6² + 2²) / 2)
    assert metrics["nrmse"] == pytest.approx(np.sqrt(20.0))
    assert metrics["naive_nrmse"] == pytest.approx(np.sqrt(20.0))  # the stub is the naive one
    # closed loop: 2.5, 2.5 against 10, 12; the naive constant 4 against 10, 12
    assert metrics["closed_loop"] == {"2": pytest.approx(np.sqrt((7.5**2 + 9.5**2) / 2))}
    assert metrics["naive_closed_loop"] == {"2": pytest.approx(np.sqrt(50.0))}  # 9 > 2 values
    assert (metrics["valid_steps"], metrics["horizon_at_1e-2"]) == (0, 0)
    assert (metrics["train_values"], metrics["test_values"]) == (4, 2)
    assert predictions.to_dict("list") == {
        "step": [4, 5], "actual": [10.0, 12.0], "one_step": pytest.approx([4.0, 10.0]),
        "naive": [4.0, 10.0], "closed_loop": pytest.approx([2.5, 2.5])}


class ClosedLoopStub(EchoStub):
    """Closed loop: the held-out values exactly, plus ``error`` (one per held-out value)."""

    def __init__(self, actual, error, mean, std):
        self.out = (actual + error - mean) / std  # scaled, as the ESN computes

    def generate(self, n_steps, warmup):
        return self.out[:n_steps, None]


def test_valid_steps_and_horizon_at_1e_2_count_the_steps_before_the_error():
    series = np.sin(np.arange(300) / 5)
    _, mean, std = standardize(series, 200)
    error = np.r_[np.zeros(3), np.ones(97)]  # 1.0 from the 4th step: > 10% of the range (2)
    metrics, _ = score_series(ClosedLoopStub(series[200:], error, mean, std), series, 200,
                              horizons=(3, 50))
    assert metrics["valid_steps"] == 3
    assert metrics["horizon_at_1e-2"] == 3  # NRMSE 0 over the first 2 and 3 values
    assert metrics["closed_loop"]["3"] == pytest.approx(0.0, abs=1e-12)
    assert metrics["closed_loop"]["50"] > 0.5


def test_horizon_at_1e_2_is_the_longest_h_whose_nrmse_is_below_it():
    """An error of 0.5 at step 3 puts the NRMSE over 3 values above 1e-2; the wild values after
    it then drown that error in their spread, so over 100 values it is below 1e-2 again: the
    longest such h is 100 (the NRMSE over the first h values, as documented)."""
    actual = np.r_[0.0, 1.0, 0.0, 1.0, 0.0, 100 * np.sin(np.arange(95))]
    series = np.r_[np.sin(np.arange(100) / 3), actual]
    _, mean, std = standardize(series, 100)
    error = np.r_[0.0, 0.0, 0.5, np.zeros(97)]
    metrics, _ = score_series(ClosedLoopStub(actual, error, mean, std), series, 100,
                              horizons=(3, 100))
    assert metrics["closed_loop"]["3"] > 1e-2 > metrics["closed_loop"]["100"]
    assert metrics["horizon_at_1e-2"] == 100


def _sine(n=400):
    return np.sin(np.arange(n) / 6) + 0.05 * np.random.default_rng(0).standard_normal(n)


def test_random_search_rows_are_each_trials_own_validation_score_best_first():
    """Every row's NRMSE is that of an ESN with the row's values, fitted on the steps before
    val_start and scored on the rest; the first row is the lowest of them."""
    x = _sine()
    seen = []
    table = random_search(x[:-1], x[1:], 300, 5, search_seed=2, on_trial=seen.append,
                          units=20, seed=3)
    assert sorted(table["trial"]) == list(range(5)) == [row["trial"] for row in seen]
    rescored = {}
    for row in seen:
        drawn = {name: row[name] for name in SEARCH_SPACE}
        esn = ESN(units=20, seed=3, **drawn).fit(x[:300], x[1:301])
        rescored[row["trial"]] = nrmse(x[301:], esn.predict(x[:-1])[300:])
        assert row["nrmse"] == pytest.approx(rescored[row["trial"]], rel=1e-12)
    assert table.iloc[0]["trial"] == min(rescored, key=rescored.get)
    assert table.iloc[0]["nrmse"] == min(rescored.values())
    assert len({round(v, 12) for v in rescored.values()}) == 5  # trials really differ


def test_random_search_fits_only_the_steps_before_val_start(monkeypatch):
    import rnnkit.reservoir.evaluation as esn_eval

    fitted = []

    class Recording(ESN):
        def fit(self, X, Y, washout=None):
            fitted.append((np.array(X), np.array(Y)))
            return super().fit(X, Y, washout)

    monkeypatch.setattr(esn_eval, "ESN", Recording)
    x = _sine()
    random_search(x[:-1], x[1:], 300, 3, units=20)
    assert len(fitted) == 3
    for inputs, targets in fitted:
        np.testing.assert_array_equal(inputs.ravel(), x[:300])
        np.testing.assert_array_equal(targets.ravel(), x[1:301])


def test_rnnkit_esn_search_never_reads_the_held_out_part(tmp_path, capsys):
    """`rnnkit esn --search`: editing every held-out value changes the held-out scores and
    leaves the search table (fits and validation scores) as it was."""
    import pandas as pd

    from rnnkit.cli.app import main

    tables, scores = [], []
    for name, tail in (("a", 1.0), ("b", -3.0)):
        values = _sine(500)
        values[400:] *= tail  # --test-fraction 0.2: the last 100 values
        path = tmp_path / f"{name}.csv"
        pd.DataFrame({"step": np.arange(500), "value": values}).to_csv(path, index=False)
        out = tmp_path / name
        assert main(["esn", "--data", str(path), "--target", "value", "--units", "20",
                     "--search", "3", "--horizons", "20", "--no-progress",
                     "--out", str(out)]) == 0
        tables.append(pd.read_csv(out / "search.csv"))
        scores.append(pd.read_json(out / "metrics.json", typ="series")["nrmse"])
    capsys.readouterr()
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert scores[0] != scores[1]
