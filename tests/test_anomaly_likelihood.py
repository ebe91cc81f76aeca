"""The anomaly likelihood: its definition row by row, causality, and its edge cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from rnnkit._checks import InputError
from rnnkit.anomaly.likelihood import anomaly_likelihood


def test_each_row_is_its_definition_over_the_rows_before_it():
    r = np.random.default_rng(0).gamma(2.0, size=300)
    got = anomaly_likelihood(r, short=5, long=60, warmup=7)
    for t in range(300):
        recent, history = r[max(0, t - 4): t + 1], r[max(0, t - 59): t + 1]
        spread = max(history.std(), 1e-6 * (1 + abs(history.mean())))
        want = 0.5 if t < 7 else norm.cdf((recent.mean() - history.mean()) / spread)
        assert got[t] == pytest.approx(want, abs=1e-9), t


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=80), st.integers(1, 79))
def test_a_row_never_reads_the_rows_after_it(values, cut):
    r = np.array(values)
    cut = min(cut, len(r))
    np.testing.assert_allclose(anomaly_likelihood(r[:cut], 3, 20),
                               anomaly_likelihood(r, 3, 20)[:cut], atol=1e-9)


def test_a_constant_stream_has_no_evidence_and_a_jump_is_near_certain():
    assert np.allclose(anomaly_likelihood(np.full(50, 3.0), 5, 20), 0.5)
    r = np.r_[np.random.default_rng(1).normal(1, 0.1, 200), [5.0] * 3]
    assert anomaly_likelihood(r, 3, 100)[-1] > 0.999


def test_bad_arguments_are_refused_in_one_line():
    with pytest.raises(InputError, match="finite"):
        anomaly_likelihood([1.0, np.nan])
    with pytest.raises(InputError, match=r"short \(5\) must not exceed long \(3\)"):
        anomaly_likelihood([1.0, 2.0], short=5, long=3)
