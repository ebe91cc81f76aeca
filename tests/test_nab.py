"""NAB's scoring, held to NAB's own published per-file scores (tests/data/nab/SOURCES.md)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.anomaly import (
    PROFILES,
    best_threshold,
    normalised,
    row_values,
    score_file,
    threshold_curve,
    window_count,
)
from rnnkit.io.datasets import bundled

DATA = Path(__file__).parent / "data" / "nab"
with bundled("nab").path() as _folder:  # NAB's windows of the bundled files
    WINDOWS = json.loads((_folder / "combined_windows.json").read_text())
DETECTORS = ("numenta", "windowedGaussian")


def _windows(key: str) -> list[tuple[str, str]]:
    """A file's windows as its timestamps are written (NAB's labels carry microseconds)."""
    return [(start[:19], end[:19]) for start, end in WINDOWS[key]]


def _results(detector: str, key: str) -> pd.DataFrame:
    category, name = key.split("/")
    return pd.read_csv(DATA / detector / category / f"{detector}_{name}.gz", dtype=str)


def test_the_profiles_are_nabs():
    published = json.loads((DATA / "profiles.json").read_text())
    for name, costs in PROFILES.items():
        matrix = published[name]["CostMatrix"]
        assert (costs.tp, costs.fp, costs.fn) == (matrix["tpWeight"], matrix["fpWeight"],
                                                  matrix["fnWeight"])


@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_published_file_score_is_reproduced(detector, profile):
    table = pd.read_csv(DATA / detector / f"{detector}_{profile}_scores.csv")
    assert len(table) == 3
    for row in table.itertuples():
        results = _results(detector, row.File)
        values = row_values(results["timestamp"].tolist(), _windows(row.File),
                            PROFILES[profile], row.File)
        got = score_file(results["anomaly_score"].astype(float), values, PROFILES[profile],
                         row.Threshold)
        assert got.score == pytest.approx(row.Score, abs=1e-9), row.File
        assert (got.tp, got.tn, got.fp, got.fn, got.total) == (
            row.TP, row.TN, row.FP, row.FN, row.Total_Count), row.File


def test_the_threshold_sweep_agrees_with_scoring_each_threshold():
    costs = PROFILES["standard"]
    files = []
    for key in WINDOWS:
        results = _results("numenta", key)
        files.append((results["anomaly_score"].astype(float).to_numpy(),
                      row_values(results["timestamp"].tolist(), _windows(key), costs, key)))
    probe = np.array([1.1, 0.9, 0.542187690735, 0.3, 0.0])
    for scores, values in files:
        curve = threshold_curve(scores, values, costs, probe)
        np.testing.assert_allclose(curve, [score_file(scores, values, costs, t).score
                                           for t in probe], atol=1e-12)
    threshold, best = best_threshold(files, costs)
    published = sum(score_file(s, v, costs, 0.542187690735).score for s, v in files)
    assert best >= published - 1e-12 and 0 <= threshold <= 1.1
    windows = sum(window_count(v) for _, v in files)
    assert windows == 10
    assert normalised(best, windows, costs) > normalised(published, windows, costs) - 1e-9


def test_a_perfect_and_a_null_detector_score_100_and_0():
    costs = PROFILES["reward_low_FN_rate"]
    stamps = [str(t) for t in range(1000)]
    values = row_values(stamps, [("400", "449"), ("700", "749")], costs)
    perfect = np.zeros(1000)
    perfect[[400, 700]] = 1.0
    for scores, expected in ((perfect, 100.0), (np.zeros(1000), 0.0)):
        score = score_file(scores, values, costs, 0.5).score
        assert normalised(score, window_count(values), costs) == pytest.approx(expected)


def test_a_window_that_names_no_row_is_refused_in_one_line():
    with pytest.raises(InputError, match=r"f.csv: window 0 \(a \.\. 9\) names a, which"):
        row_values([str(t) for t in range(10)], [("a", "9")], PROFILES["standard"], "f.csv")
