"""rnnkit.forecast.windows: windows as views, honest chronological parts, scalers, encodings,
features."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.forecast.features import is_seasonal
from rnnkit.forecast.targets import (
    TARGET_KINDS,
    decode_targets,
    encode_targets,
    last_values,
    target_base,
)
from rnnkit.forecast.windows import (
    Split,
    chronological_split,
    future_index,
    input_windows,
    make_windows,
    normalize_windows,
    window_parts,
)
from rnnkit.training.scaling import Scaler

FAST = settings(max_examples=60, deadline=None)


def _prices(seed: int, n: int) -> np.ndarray:
    """A positive random walk of n prices (geometric, like a stock)."""
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))


# ---------------------------------------------------------------------------------------------
# make_windows


@FAST
@given(n=st.integers(2, 40), f=st.integers(1, 3), lookback=st.integers(1, 20),
       horizon=st.integers(1, 10))
def test_make_windows_rows_are_slices_and_views(n, f, lookback, horizon):
    assume(n >= lookback + horizon)
    features = np.arange(n * f, dtype=np.float64).reshape(n, f)
    targets = -np.arange(n, dtype=np.float64)
    X, Y = make_windows(features, targets, lookback, horizon)
    m = n - lookback - horizon + 1
    assert X.shape == (m, lookback, f) and Y.shape == (m, horizon)
    for i in range(m):
        np.testing.assert_array_equal(X[i], features[i : i + lookback])
        np.testing.assert_array_equal(Y[i], targets[i + lookback : i + lookback + horizon])
    assert np.shares_memory(X, features) and np.shares_memory(Y, targets)
    assert not X.flags.writeable and not Y.flags.writeable


def test_make_windows_too_short_names_lookback_horizon_and_rows():
    with pytest.raises(InputError, match=r"lookback=4 \+ horizon=3 needs at least 7 rows, "
                                         r"the series has 6"):
        make_windows(np.zeros((6, 1)), np.zeros(6), lookback=4, horizon=3)


@pytest.mark.parametrize("features, targets, match", [
    (np.zeros(6), np.zeros(6), r"features must have shape \(N, F\), got \(6,\)"),
    (np.zeros((6, 2)), np.zeros(5), r"targets must have shape \(6,\)"),
])
def test_make_windows_checks_shapes(features, targets, match):
    with pytest.raises(InputError, match=match):
        make_windows(features, targets, lookback=2, horizon=1)


def test_make_windows_checks_lookback():
    with pytest.raises(InputError, match="lookback must be a positive int, got 0"):
        make_windows(np.zeros((6, 1)), np.zeros(6), lookback=0, horizon=1)


# ---------------------------------------------------------------------------------------------
# chronological_split and window_parts


def test_split_matches_the_tutorial_on_1510_rows():
    split = chronological_split(1510)  # the tutorial: int(np.ceil(len * .8)) training rows
    assert split == Split(n_rows=1510, fit_end=1208 - 121, train_end=1208)
    assert split.n_rows - split.train_end == 302
    assert chronological_split(1510, val_fraction=0).fit_end == 1208


def test_split_ignores_floating_point_fuzz():
    assert 10 * (1 - 0.7) > 3  # ceil would give 4 training rows
    assert chronological_split(10, test_fraction=0.7, val_fraction=0).train_end == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"n_rows": 10, "test_fraction": 1.0}, r"test_fraction must lie in \[0.0, 1.0\), got 1.0"),
    ({"n_rows": 10, "val_fraction": 1.0}, r"val_fraction must lie in \[0.0, 1.0\), got 1.0"),
    ({"n_rows": 3, "test_fraction": 0.2}, "leaves no test rows"),
    ({"n_rows": 2, "test_fraction": 0.5, "val_fraction": 0.6}, "leaves no rows to fit on"),
])
def test_split_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        chronological_split(**kwargs)


def _part_of(split: Split, row: int) -> str:
    return "fit" if row < split.fit_end else "val" if row < split.train_end else "test"


@pytest.mark.filterwarnings("ignore:the validation part")
@FAST
@given(n=st.integers(5, 300), lookback=st.integers(1, 30), horizon=st.integers(1, 10),
       test_fraction=st.floats(0.05, 0.6), val_fraction=st.floats(0.0, 0.5))
def test_window_parts_are_ordered_disjoint_and_exact(n, lookback, horizon, test_fraction,
                                                     val_fraction):
    try:
        split = chronological_split(n, test_fraction, val_fraction)
        parts = window_parts(split, lookback, horizon)
    except InputError:
        assume(False)
    assert 0 < split.fit_end <= split.train_end < n
    assert n - split.train_end == n - math.ceil(round(n * (1 - test_fraction), 9))
    fit, val, test = parts["fit"], parts["val"], parts["test"]
    assert 0 == fit.start <= fit.stop <= val.start <= val.stop <= test.start < test.stop
    # brute force: window i is in a part exactly when all its targets lie in that part
    for i in range(n - lookback - horizon + 1):
        homes = {_part_of(split, r) for r in range(i + lookback, i + lookback + horizon)}
        expected = homes.pop() if len(homes) == 1 else None
        found = [name for name, s in parts.items() if s.start <= i < s.stop]
        assert found == ([expected] if expected else [])
    # the test windows' targets are exactly the last rows [train_end, n)
    assert test.start + lookback == split.train_end
    assert test.stop - 1 + lookback + horizon == n


def test_test_fraction_0_fits_on_every_row():
    split = chronological_split(100, test_fraction=0.0, val_fraction=0.2)
    assert split == Split(n_rows=100, fit_end=80, train_end=100)
    parts = window_parts(split, lookback=10, horizon=5)
    assert parts == {"fit": slice(0, 66), "val": slice(70, 86), "test": slice(90, 90)}


def test_window_parts_tutorial_counts():
    parts = window_parts(chronological_split(1510, val_fraction=0), lookback=60, horizon=1)
    assert parts["test"] == slice(1148, 1450)  # 302 test windows, as the tutorial's x_test
    assert parts["val"].start == parts["val"].stop


@pytest.mark.parametrize("split, lookback, horizon, match", [
    (Split(100, 10, 80), 8, 3, r"fit part has 10 rows, fewer than lookback=8 \+ horizon=3"),
    (Split(100, 70, 98), 8, 3, "test part has 2 rows, fewer than horizon=3.*test_fraction"),
])
def test_window_parts_errors(split, lookback, horizon, match):
    with pytest.raises(InputError, match=match):
        window_parts(split, lookback, horizon)


def test_window_parts_warns_on_a_windowless_validation_part():
    with pytest.warns(UserWarning, match="validation part has 2 rows, fewer than horizon=3"):
        parts = window_parts(Split(100, 70, 72), lookback=5, horizon=3)
    assert parts["val"].start == parts["val"].stop


# ---------------------------------------------------------------------------------------------
# Scaler


_columns = st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=12, max_size=12)


@FAST
@given(cols=st.lists(_columns, min_size=1, max_size=3), fit_rows=st.integers(1, 8))
def test_minmax_maps_fit_rows_into_unit_interval_and_round_trips(cols, fit_rows):
    X = np.array(cols).T  # (12, F)
    scaler = Scaler("minmax").fit(X[:fit_rows])
    Z = scaler.transform(X[:fit_rows])
    assert Z.min() >= 0.0 and Z.max() <= 1.0
    for j in range(X.shape[1]):
        if np.ptp(X[:fit_rows, j]) > 0:
            assert Z[:, j].min() == 0.0 and np.isclose(Z[:, j].max(), 1.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X)), X,
                               rtol=1e-9, atol=1e-9 * max(1.0, np.abs(X).max()))


@FAST
@given(cols=st.lists(_columns, min_size=1, max_size=3))
def test_standard_scaler_gives_mean_0_std_1_and_round_trips(cols):
    X = np.array(cols).T
    scaler = Scaler("standard")
    Z = scaler.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-6)
    spread = X.std(axis=0) > 0
    np.testing.assert_allclose(Z.std(axis=0)[spread], 1.0, rtol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X,
                               rtol=1e-9, atol=1e-9 * max(1.0, np.abs(X).max()))


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_constant_column_gets_scale_1(kind):
    X = np.array([[1.0, 7.0], [3.0, 7.0], [2.0, 7.0]])
    scaler = Scaler(kind).fit(X)
    assert scaler.scale_[1] == 1.0
    np.testing.assert_array_equal(scaler.transform(X)[:, 1], 0.0)


def test_scaler_learned_attributes_follow_sklearn():
    scaler = Scaler("minmax")
    assert not hasattr(scaler, "min_") and not hasattr(scaler, "scale_")
    assert scaler.fit(np.array([[1.0], [5.0]])) is scaler
    np.testing.assert_array_equal(scaler.min_, [1.0])
    np.testing.assert_array_equal(scaler.scale_, [4.0])
    assert scaler.num_features_in_ == 1 and repr(scaler) == "Scaler(kind='minmax')"


def test_scaler_transforms_windows_of_any_leading_shape():
    scaler = Scaler("standard").fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    windows = np.ones((4, 3, 2))  # (M, L, F)
    np.testing.assert_allclose(scaler.transform(windows), np.broadcast_to([0.0, -1.9], (4, 3, 2)))


@pytest.mark.parametrize("kind", ["minmax", "standard"])
def test_scaler_dict_round_trip(kind):
    X = np.array([[1.0, -2.0], [4.0, 8.0], [2.5, 0.0]])
    state = json.loads(json.dumps(Scaler(kind).fit(X).to_dict()))
    restored = Scaler.from_dict(state)
    assert restored.kind == kind
    np.testing.assert_array_equal(restored.transform(X), Scaler(kind).fit(X).transform(X))


def test_scaler_errors():
    with pytest.raises(InputError, match="not fitted yet"):
        Scaler().transform(np.zeros((2, 1)))
    with pytest.raises(InputError, match="not fitted yet"):
        Scaler().to_dict()
    with pytest.raises(InputError, match="kind must be one of 'minmax', 'standard', got 'robust'"):
        Scaler("robust").fit(np.zeros((2, 1)))
    with pytest.raises(InputError, match=r"X must have shape \(N, F\)"):
        Scaler().fit(np.zeros(3))
    with pytest.raises(InputError, match="finite"):
        Scaler().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(InputError, match=r"X must have shape \(\.\.\., 2\).*got \(3, 1\)"):
        Scaler().fit(np.zeros((3, 2))).transform(np.zeros((3, 1)))


# ---------------------------------------------------------------------------------------------
# target encodings


@FAST
@given(seed=st.integers(0, 2**16), n=st.integers(3, 60), lookback=st.integers(1, 20),
       horizon=st.integers(1, 8), kind=st.sampled_from(TARGET_KINDS), season=st.integers(1, 7))
def test_decode_inverts_encode(seed, n, lookback, horizon, kind, season):
    assume(n >= lookback + horizon)
    p = _prices(seed, n)
    encoded = encode_targets(p, lookback, horizon, kind, season)
    m = n - lookback - horizon + 1
    assert encoded.shape == (m, horizon)
    _, future = make_windows(p[:, None], p, lookback, horizon)
    base = target_base(p, lookback, m, horizon, kind, season)
    np.testing.assert_allclose(decode_targets(encoded, base, kind), future, rtol=1e-12)
    if kind != "sdiff":  # one base for every step: the last value (or none)
        np.testing.assert_allclose(decode_targets(encoded, last_values(p, lookback, m), kind),
                                   future, rtol=1e-12)


def test_sdiff_is_what_the_seasonal_naive_forecast_misses():
    p = np.array([1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0])  # season 2, lookback 3, horizon 3
    # window 0 ends at t = 2 (p_t = 2): seasonal naive for t+1.. t+3 is p_1, p_2, p_1
    np.testing.assert_array_equal(encode_targets(p, 3, 3, "sdiff", season=2)[0],
                                  [6 - 5, 3 - 2, 7 - 5])
    np.testing.assert_array_equal(encode_targets(p, 3, 3, "sdiff", season=1),
                                  encode_targets(p, 3, 3, "diff"))  # m = 1 is diff


def test_encodings_by_hand():
    p = np.array([1.0, 2.0, 4.0, 8.0, 10.0])  # lookback 2, horizon 2: windows end at t = 1, 2
    np.testing.assert_array_equal(encode_targets(p, 2, 2, "level"), [[4, 8], [8, 10]])
    np.testing.assert_array_equal(encode_targets(p, 2, 2, "diff"), [[2, 6], [4, 6]])
    np.testing.assert_allclose(encode_targets(p, 2, 2, "log_return"),
                               np.log([[2, 4], [2, 2.5]]))
    np.testing.assert_array_equal(last_values(p, 2, 2), [2.0, 4.0])
    np.testing.assert_array_equal(last_values(p, 2, 4), [2.0, 4.0, 8.0, 10.0])  # + the future


def test_encoding_errors():
    with pytest.raises(InputError, match=r"needs positive values, but value 1 is 0: use .diff."):
        encode_targets(np.array([1.0, 0.0, 2.0]), 1, 1, "log_return")
    with pytest.raises(InputError, match="kind must be one of"):
        encode_targets(np.ones(5), 1, 1, "pct")
    with pytest.raises(InputError, match="n_windows=5 windows of lookback=2 need 6 rows"):
        last_values(np.ones(5), 2, 5)
    with pytest.raises(InputError, match=r"base must have shape \(2,\) or \(2, 3\)"):
        decode_targets(np.ones((2, 3)), np.ones(3), "diff")


# ---------------------------------------------------------------------------------------------
# input_windows, normalize_windows, is_seasonal, future_index


@FAST
@given(n=st.integers(1, 30), f=st.integers(1, 3), lookback=st.integers(1, 30))
def test_input_windows_end_at_every_row(n, f, lookback):
    assume(lookback <= n)
    x = np.arange(n * f, dtype=float).reshape(n, f)
    windows = input_windows(x, lookback)
    assert windows.shape == (n - lookback + 1, lookback, f)
    for i in range(len(windows)):
        np.testing.assert_array_equal(windows[i], x[i : i + lookback])
    if n - lookback >= 1:  # the first windows are make_windows' inputs
        np.testing.assert_array_equal(make_windows(x, x[:, 0], lookback, 1)[0],
                                      windows[: n - lookback])


@pytest.mark.parametrize("how", ["last", "mean"])
def test_normalize_windows_removes_each_windows_level_from_chosen_columns(how):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4, 3))
    shifted = x + np.array([100.0, 0.0, 0.0])  # a level on column 0 only
    out = normalize_windows(shifted, [0], how)
    reference = shifted[:, -1:, 0] if how == "last" else shifted[:, :, 0].mean(1, keepdims=True)
    np.testing.assert_allclose(out[:, :, 0], shifted[:, :, 0] - reference, atol=1e-4)
    np.testing.assert_array_equal(out[:, :, 1:], shifted[:, :, 1:])
    np.testing.assert_allclose(normalize_windows(x, [0], how), out, atol=1e-4)  # level-free
    assert normalize_windows(x, [0], "none") is x


def test_is_seasonal_on_differences():
    t = np.arange(24 * 30)
    rng = np.random.default_rng(1)
    daily = 10 * np.sin(2 * np.pi * t / 24) + rng.normal(size=len(t))
    walk = np.cumsum(rng.normal(size=len(t)))
    assert is_seasonal(daily, 24)[0] and not is_seasonal(walk, 24)[0]
    assert is_seasonal(daily, 1) == (False, 0.0)  # m = 1 has no season
    assert is_seasonal(daily[:50], 24) == (False, 0.0)  # fewer than three seasons


def test_future_index_continues_the_spacing():
    hourly = pd.date_range("2024-01-01", periods=5, freq="h")
    assert list(future_index(hourly, 2)) == list(pd.date_range("2024-01-01 05:00", periods=2,
                                                                freq="h"))
    daily = pd.date_range("2024-01-05", periods=3, freq="D")  # includes a weekend
    assert [d.day_name() for d in future_index(daily, 2)] == ["Monday", "Tuesday"]
    business = pd.bdate_range("2024-01-03", periods=3)  # Wed, Thu, Fri
    assert [d.day_name() for d in future_index(business, 2)] == ["Monday", "Tuesday"]
    assert list(future_index(pd.Index([10, 12, 14]), 2)) == [16, 18]
