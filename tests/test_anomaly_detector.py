"""The stream detector: causal, calibrated, and it finds what it should (rnnkit.anomaly)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.base import clone

from rnnkit._checks import InputError
from rnnkit.anomaly import LabelledScores, StreamDetector, alarms, log_score, score_report
from rnnkit.anomaly.network import stream_inputs, stream_season
from rnnkit.anomaly.synthetic import KINDS, synthetic_stream

SMALL = {"lookback": 12, "hidden_size": 8, "adapt_every": 100, "adapt_steps": 5}


def test_a_score_reads_only_the_rows_up_to_its_own():
    rng = np.random.default_rng(1)
    x = np.sin(np.arange(700) * 2 * np.pi / 40) + 0.2 * rng.standard_normal(700)
    changed = x.copy()
    changed[450:] = rng.normal(5.0, 3.0, 250)  # the future, made wild
    a = StreamDetector(**SMALL).fit(x, probation=200)
    b = StreamDetector(**SMALL).fit(changed, probation=200)
    np.testing.assert_array_equal(a.anomaly_score_[:450], b.anomaly_score_[:450])
    np.testing.assert_array_equal(a.forecast_[:450], b.forecast_[:450])
    assert not np.array_equal(a.anomaly_score_[450:], b.anomaly_score_[450:])


def test_the_forecaster_knows_its_spread_on_noise():
    """On N(5, 2²) noise the next value's forecast is about 5 and its σ about 2, so about 95%
    of the values after the probationary rows lie within 2σ of it."""
    x = np.random.default_rng(2).normal(5.0, 2.0, 1500)
    d = StreamDetector(**SMALL).fit(x, probation=400)
    rows = slice(400, None)
    inside = np.abs(x[rows] - d.forecast_[rows]) <= 2 * d.spread_[rows]
    assert 0.9 <= inside.mean() <= 0.99
    assert abs(np.median(d.spread_[rows]) - 2.0) < 0.5
    assert abs(np.median(d.forecast_[rows]) - 5.0) < 0.5


def test_a_spike_raises_the_top_alarm_and_a_level_shift_a_rare_one():
    rng = np.random.default_rng(3)
    x = 10 + np.sin(np.arange(1600) * 2 * np.pi / 48) + 0.1 * rng.standard_normal(1600)
    x[900] += 4.0  # a spike
    x[1300:] += 2.0  # a level shift
    d = StreamDetector(**SMALL).fit(x)
    assert d.season_ in (47, 48, 49)
    a = d.anomaly_score_
    assert 900 <= np.argmax(a) <= 903 and a.max() > 0.5
    others = np.r_[a[d.probation_:900], a[904:1300], a[1304:]]
    assert a[1300:1304].max() > np.quantile(others, 0.995)
    assert (a[:d.probation_] == 0).all()


def test_the_synthetic_corpus_scores_far_above_the_null_detector():
    streams = [synthetic_stream(kind, rows=1500, anomalies=1, seed=5) for kind in KINDS[:2]]
    files = [LabelledScores(f"s/{k}.csv", list(s.frame["timestamp"]),
                            StreamDetector(**SMALL).fit(s.frame["value"].to_numpy())
                            .anomaly_score_, s.windows) for k, s in zip("ab", streams,
                                                                         strict=True)]
    assert score_report(files).corpus.loc["standard", "normalised"] > 50


def test_log_score_is_the_tail_probability_in_decades():
    z = np.array([-3.0, 0.0, 1.0, 3.0, 6.0])
    decades = -np.log10(norm.sf(z))
    np.testing.assert_allclose(log_score(z), decades / (decades + 5), rtol=1e-12)
    assert 0.99 < log_score(np.array([1e2]))[0] < log_score(np.array([1e3]))[0] < 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.integers(0, 6))
def test_an_alarm_is_a_new_height_over_the_quiet_rows(scores, quiet):
    s = np.array(scores)
    a = alarms(s, quiet)
    for t in range(len(s)):
        before = s[max(0, t - quiet): t]
        expected = s[t] if quiet == 0 or not len(before) or s[t] > before.max() else 0.0
        assert a[t] == expected


def test_the_season_is_found_in_the_autocorrelation():
    t = np.arange(700)
    noise = np.random.default_rng(0).standard_normal(700)
    assert stream_season(np.sin(2 * np.pi * t / 24) + 0.3 * noise) == 24
    assert stream_season(noise) == 0
    assert stream_inputs(np.arange(5.0), 3)[:, 1].tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_the_detector_has_scikit_learns_habits():
    d = StreamDetector(hidden_size=8, quiet=7)
    assert clone(d).get_params() == d.get_params()
    with pytest.raises(InputError, match="not fitted"):
        d.detections(0.5)


@pytest.mark.parametrize(("params", "values", "message"), [
    ({"short": 20, "long": 10}, np.zeros(400), "short"),
    ({"cell": "tcn"}, np.zeros(400), "cell"),
    ({}, np.zeros(150), "too short"),
    ({}, np.r_[np.zeros(300), np.nan], "finite"),
])
def test_bad_settings_and_streams_are_one_clear_error(params, values, message):
    with pytest.raises(InputError, match=message):
        StreamDetector(**params).fit(values)
