"""The echo state network's safe defaults: the readout chosen on validation, dates kept, and a
warning when it loses to the naive forecast."""

import numpy as np
import pandas as pd

from rnnkit.cli.app import main
from rnnkit.io import load_aapl
from rnnkit.reservoir.chaos import mackey_glass
from rnnkit.reservoir.esn import ESN
from rnnkit.reservoir.evaluation import READOUT_GRID, grid_search, nrmse, standardize


def test_grid_search_scores_every_pair_one_step_and_in_closed_loop():
    z = standardize(mackey_glass(900, discard=300), 800)[0][:800]
    x, y, val_start = z[:-1], z[1:], 600
    grid = {"ridge": (1e-8, 1e-2), "input_scaling": (0.3, 1.0)}
    table = grid_search(x, y, val_start, grid, units=60, seed=0)
    assert len(table) == 4 and table["nrmse"].is_monotonic_increasing
    best = table.iloc[0]
    esn = ESN(units=60, seed=0, ridge=best["ridge"], input_scaling=best["input_scaling"])
    esn.fit(x[:val_start], y[:val_start])
    one_step = nrmse(y[val_start:], esn.predict(x)[val_start:])
    closed = nrmse(y[val_start:], esn.generate(len(y) - val_start, warmup=x[: val_start + 1]))
    assert np.isclose(best["one_step_nrmse"], one_step)
    assert np.isclose(best["nrmse"], np.sqrt(one_step * closed))


def test_the_default_grid_is_searched_by_the_job(tmp_path, capsys):
    out = tmp_path / "esn"
    assert main(["esn", "--length", "900", "--units", "40", "--horizons", "50",
                 "--no-progress", "--out", str(out)]) == 0
    table = pd.read_csv(out / "search.csv")
    assert len(table) == np.prod([len(v) for v in READOUT_GRID.values()])


def test_a_price_series_gets_dates_and_a_warning(tmp_path, capsys):
    path = tmp_path / "prices.csv"
    load_aapl()[["Close"]].iloc[:500].to_csv(path)
    out = tmp_path / "esn"
    assert main(["esn", "--data", str(path), "--units", "40", "--horizons", "20",
                 "--no-select", "--ridge", "1e-8", "--input-scaling", "5",
                 "--no-progress", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    predictions = pd.read_csv(out / "predictions.csv", parse_dates=["date"])
    assert predictions["date"].iloc[-1] == load_aapl().index[499]
    metrics = pd.read_json(out / "metrics.json", typ="series")
    loses = metrics["nrmse"] >= metrics["naive_nrmse"]
    assert ("warning: the ESN loses to the naive forecast" in report) == loses


def test_the_forecasting_reservoir_chooses_its_ridge_on_the_validation_windows():
    from rnnkit.forecast.window_models import ReservoirRegressor
    from rnnkit.reservoir import RIDGE_GRID, ReservoirConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12, 1))
    y = x[:, -3:, 0].sum(axis=1, keepdims=True) + 0.5 * rng.normal(size=(300, 1))
    train, val = slice(0, 200), slice(200, 300)
    config = ReservoirConfig(units=40)

    def val_mse(model):
        return float(np.mean((model.predict(x[val]) - y[val]) ** 2))
    chosen = ReservoirRegressor(config, select_ridge=True).fit(x[train], y[train],
                                                               (x[val], y[val]))
    scores = {lam: val_mse(ReservoirRegressor(ReservoirConfig(units=40, ridge=lam)).fit(
        x[train], y[train])) for lam in RIDGE_GRID}
    assert chosen.esn_.ridge == min(scores, key=scores.get)
    assert val_mse(chosen) == min(scores.values()) or np.isclose(val_mse(chosen),
                                                                 min(scores.values()))
    assert chosen.history_.records[0]["ridge"] == chosen.esn_.ridge
