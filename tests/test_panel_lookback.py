"""A panel whose shortest series is short still gets a forecast for every series: the default
lookback is lowered to what fits, in one warning (M4 Weekly's shape: horizon 13, 80 rows)."""

import json

import numpy as np
import pandas as pd

from rnnkit.cli import main
from rnnkit.forecast.panels import MIN_LOOKBACK, fitting_lookback


def _weekly(lengths: list[int]) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    return {f"W{k}": pd.DataFrame(
        {"value": 100 + np.cumsum(rng.normal(0, 1, n))},
        index=pd.date_range("2000-01-02", periods=n, freq="W", name="date"))
        for k, n in enumerate(lengths)}


def test_the_lookback_is_the_largest_that_every_series_fits():
    panel = _weekly([93, 150, 300])
    lookback, shortest = fitting_lookback(panel, 60, 13, 0.1, test_size=13)
    assert shortest == "W0"
    fit_rows = 80 - 13  # 80 training rows, the validation part one horizon
    assert lookback == fit_rows - 13 - 2 and lookback < 60
    assert fitting_lookback(panel, 30, 13, 0.1, test_size=13) == (30, None)
    tiny = _weekly([30, 300])
    assert fitting_lookback(tiny, 60, 13, 0.1, test_size=13)[0] == MIN_LOOKBACK


def test_a_short_panel_is_forecast_whole_with_one_warning(tmp_path, capsys):
    frames = [f.assign(id=key) for key, f in _weekly([93, 120, 150, 200]).items()]
    path = tmp_path / "weekly.csv"
    pd.concat(frames).to_csv(path)
    out = tmp_path / "run"
    assert main(["forecast", "--data", str(path), "--id-column", "id", "--target", "value",
                 "--horizon", "13", "--epochs", "1", "--hidden-size", "8", "--ensemble", "1",
                 "--no-progress", "--threads", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("rnnkit: warning: lookback 364 lowered to 47") == 1
    assert "set --lookback to choose it" in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["series"]["scored"] == 4 and not metrics["series"].get("left_out")
