"""The M4 file format (rnnkit.io.m4_files) and rnnkit.forecast.m4: the competition's seasonality
test, decomposition, Naive2 and OWA, and the published M4 Hourly table."""

import dataclasses
import gzip
import hashlib
from fractions import Fraction
from importlib import resources

import numpy as np
import pytest

from rnnkit._checks import InputError
from rnnkit.forecast.m4 import (
    benchmark_scores,
    naive2_forecast,
    owa,
    seasonal_indices,
    seasonality_test,
)
from rnnkit.io.m4_files import M4Data, is_m4_file, load_m4_hourly, m4_season, read_m4

TRAIN = '"V1","V2","V3","V4","V5"\n"H1","1","2","3","4"\n"H2","5","6",,\n"H3","7",,,\n'
TEST = '"V1","V2","V3"\n"H1","5","6"\n"H2","7","8"\n"H3","9","10"\n'


def _file(tmp_path, text: str, name: str):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------
# is_m4_file, read_m4, load_m4_hourly


def test_reads_padded_rows(tmp_path):
    data = read_m4(_file(tmp_path, TRAIN, "train.csv"), _file(tmp_path, TEST, "test.csv"))
    assert data.ids == ("H1", "H2", "H3")
    assert [y.tolist() for y in data.train] == [[1, 2, 3, 4], [5, 6], [7]]  # padding dropped
    assert [y.tolist() for y in data.test] == [[5, 6], [7, 8], [9, 10]]
    assert data.horizon == 2 and data.seasons == (24, 24, 24)
    assert all(y.dtype == np.float64 and not y.flags.writeable for y in data.train + data.test)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.horizon = 3


def test_reads_without_a_test_file_and_unquoted_cells(tmp_path):
    # short rows without trailing commas are padding too
    data = read_m4(_file(tmp_path, "V1,V2,V3,V4\nM1,1.5,2,3\nQ12,4\n", "train.csv"))
    assert data.ids == ("M1", "Q12") and data.test is None and data.horizon is None
    assert [y.tolist() for y in data.train] == [[1.5, 2, 3], [4]]
    assert data.seasons == (12, 4)


def test_test_rows_are_put_in_the_training_order(tmp_path):
    test = '"V1","V2","V3"\n"H3","9","10"\n"H1","5","6"\n"H2","7","8"\n'
    data = read_m4(_file(tmp_path, TRAIN, "train.csv"), _file(tmp_path, test, "test.csv"))
    assert [y.tolist() for y in data.test] == [[5, 6], [7, 8], [9, 10]]


@pytest.mark.parametrize("name", ["train.csv.gz", "train.csv"])  # gzip known by its magic bytes
def test_reads_gzip(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(TRAIN.encode(), mtime=0))
    assert is_m4_file(path)
    assert read_m4(path).ids == ("H1", "H2", "H3")


@pytest.mark.parametrize("text, expected", [
    (TRAIN, True),
    ("V1,V2\nD25,3\n", True),
    ("\ufeffV1,V2\nW4,3\n", True),  # a byte-order mark
    ('"V1","V3"\n"H1","1"\n', False),  # V2 missing
    ("V1\nH1\n", False),  # no value column
    ("id,V2\nH1,1\n", False),
    ("V1,V2\nX1,1\n", False),  # not an M4 id
    ("V1,V2\nH,1\n", False),
    ("V1,V2\n", False),  # a header only
    ("", False),
    ("Date,Close\n2020-01-02,1\n", False),
])
def test_is_m4_file(tmp_path, text, expected):
    assert is_m4_file(_file(tmp_path, text, "file.csv")) is expected


def test_is_m4_file_on_unreadable_files(tmp_path):
    assert not is_m4_file(tmp_path / "missing.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    assert not is_m4_file(binary)
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(TRAIN.encode())[:20])
    assert not is_m4_file(broken)


@pytest.mark.parametrize("text, match", [
    ("Date,Close\n2020-01-02,1\n", r"train\.csv is not an M4 file: its header must be V1"),
    ("V1,V2\nX1,1\n", r"train\.csv is not an M4 file: line 2 starts with 'X1'"),
    ("V1,V2\n", r"train\.csv is not an M4 file: it has no rows below the header"),
    ("", r"train\.csv is not an M4 file: it is empty"),
    ("V1,V2,V3\nH1,1,2\nH2,abc,3\n", r"train\.csv line 3 \(H2\): column V2 is 'abc', not a number"),
    ("V1,V2,V3\nH1,1,inf\n", r"train\.csv line 2 \(H1\): column V3 is 'inf', not a finite"),
    ("V1,V2,V3\nH1,1,NaN\n", r"line 2 \(H1\): column V3 is 'NaN', not a finite"),
    ("V1,V2,V3\nH1,1,2\nH2,,\n", r"train\.csv line 3 \(H2\): the series has no values"),
    ("V1,V2,V3\nH1,,2\n", r"line 2 \(H1\): column V2 is empty before the row's last value"),
    ("V1,V2,V3\nH1,1,2,3\n", r"line 2 \(H1\): 3 cells after the id, the header has 2"),
    ("V1,V2\nH1,1\nH1,2\n", r"train\.csv line 3: id H1 appears a second time"),
    ("V1,V2\nH1,1\nZ7,2\n", r"train\.csv line 3: 'Z7' is not an M4 id"),
])
def test_read_errors(tmp_path, text, match):
    with pytest.raises(InputError, match=match) as err:
        read_m4(_file(tmp_path, text, "train.csv"))
    assert "\n" not in str(err.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match=r"cannot read .*missing\.csv: No such file"):
        read_m4(tmp_path / "missing.csv")
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(TRAIN.encode())[:40])
    with pytest.raises(InputError, match=r"cannot read .*broken\.csv\.gz: Compressed file ended"):
        read_m4(broken)


@pytest.mark.parametrize("test, match", [
    ('V1,V2,V3\nH1,5,6\nH2,7,8\nH3,9\n', r"test\.csv line 4 \(H3\): 1 values, the header has 2"),
    ('V1,V2,V3\nH1,5,6\nH2,7,\nH3,9,10\n', r"test\.csv line 3 \(H2\): 1 values, the header has 2"),
    ('V1,V2,V3\nH1,5,6\nH3,9,10\n',
     r"test\.csv: no test values for 1 series of .*train\.csv, e\.g\. H2"),
    ('V1,V2,V3\nH1,5,6\nH2,7,8\nH3,9,10\nH4,1,2\n',
     r"test\.csv: 1 series not in .*train\.csv, e\.g\. H4"),
    ('V1,V2,V3\nH1,5,6\nH2,7,8\nH3,x,10\n', r"test\.csv line 4 \(H3\): column V2 is 'x'"),
])
def test_test_file_errors(tmp_path, test, match):
    with pytest.raises(InputError, match=match) as err:
        read_m4(_file(tmp_path, TRAIN, "train.csv"), _file(tmp_path, test, "test.csv"))
    assert "\n" not in str(err.value)


def test_bundled_hourly_files():
    data = load_m4_hourly()
    assert len(data.ids) == 414 and data.ids[:2] == ("H1", "H2") and data.ids[-1] == "H414"
    lengths = [len(y) for y in data.train]
    assert {n: lengths.count(n) for n in set(lengths)} == {700: 169, 960: 245}
    assert data.horizon == 48 and {len(y) for y in data.test} == {48}
    assert set(data.seasons) == {24}
    assert data.test[0][:3].tolist() == [619, 565, 532]  # the first cells of Hourly-test.csv
    # the .gz files decompress to the originals (sha256 from datasets/SOURCES.md)
    folder = resources.files("rnnkit.datasets")
    digests = [hashlib.sha256(gzip.decompress((folder / name).read_bytes())).hexdigest()
               for name in ("m4-hourly-train.csv.gz", "m4-hourly-test.csv.gz")]
    assert digests == ["ea59b7783573c49077a835ab6465c7d66f1474783360f310988a9a737fbca62f",
                       "71a57fccb15e534d973626ada4fb87febf789e9317715b7cc6dd3b5f90db6f42"]


# ---------------------------------------------------------------------------------------------
# m4_season


@pytest.mark.parametrize("series_id, season", [
    ("H1", 24), ("M3", 12), ("Q7", 4), ("W4", 1), ("D25", 1), ("Y12", 1),
])
def test_season_table(series_id, season):
    assert m4_season(series_id) == season


@pytest.mark.parametrize("series_id", ["X1", "h1", "", None])
def test_unknown_season(series_id):
    with pytest.raises(InputError, match="series_id must start with one of H, M, Q, W, D, Y"):
        m4_season(series_id)


# ---------------------------------------------------------------------------------------------
# seasonality_test


def _acf(y: np.ndarray, lags: int) -> np.ndarray:
    """r_1 .. r_lags from the textbook definition, one sum at a time."""
    n, mean = len(y), sum(y) / len(y)
    c0 = sum((y[t] - mean) ** 2 for t in range(n))
    return np.array([sum((y[t] - mean) * (y[t + k] - mean) for t in range(n - k)) / c0
                     for k in range(1, lags + 1)])


@pytest.mark.parametrize("n, seasonal", [(10, False), (12, True)])
def test_seasonality_by_hand(n, seasonal):
    # y = 1, 3, 1, 3, ... m = 2: y - ȳ = ∓1, Σ(y - ȳ)² = n, r_1 = -(n-1)/n, r_2 = (n-2)/n
    #   n = 10: |r_2| = 0.8   vs 1.645 · sqrt((1 + 2 · 0.81) / 10) = 0.8420       -> not seasonal
    #   n = 12: |r_2| = 0.833 vs 1.645 · sqrt((1 + 2 · (11/12)²) / 12) = 0.7775   -> seasonal
    y = np.tile([1.0, 3.0], n // 2)
    np.testing.assert_allclose(_acf(y, 2), [-(n - 1) / n, (n - 2) / n])
    assert seasonality_test(y, 2) is seasonal


@pytest.mark.parametrize("season", [3, 7, 12])
def test_seasonality_matches_the_formula(season):
    rng = np.random.default_rng(season)
    for scale in (0.0, 0.3, 1.0, 3.0):  # from noise only to a clear season
        y = rng.normal(size=8 * season) + scale * np.sin(2 * np.pi * np.arange(8 * season) / season)
        r = _acf(y, season)
        expected = abs(r[-1]) > 1.645 * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / len(y))
        assert seasonality_test(y, season) is bool(expected)


@pytest.mark.parametrize("season", [4, 12, 24])
def test_seasonality_known_cases(season):
    t = np.arange(11 * season)  # 11 periods: R's default lag.max reaches m = 24 from n = 252
    assert seasonality_test(np.sin(2 * np.pi * t / season), season)
    assert not seasonality_test(np.random.default_rng(0).normal(size=500), season)
    assert not seasonality_test(np.sin(2 * np.pi * t[: 3 * season - 1] / season), season)
    assert not seasonality_test(np.full(5 * season, 3.0), season)  # constant: r_k is 0/0


def test_seasonality_needs_r_default_lag_max():
    # R's acf computes lags up to floor(10 · log10 n): 23 for n = 240, so r_24 is NA -> false
    t = np.arange(240)
    assert not seasonality_test(np.sin(2 * np.pi * t / 24), 24)
    assert seasonality_test(np.sin(2 * np.pi * t / 12), 12)  # 10 periods of 12: lag.max 23
    assert not seasonality_test(np.sin(2 * np.pi * t), 1)  # m = 1 is never seasonal


def test_seasonality_errors():
    with pytest.raises(InputError, match="values must be finite"):
        seasonality_test(np.array([1.0, np.nan, 2.0]), 2)
    with pytest.raises(InputError, match=r"values must have shape \(n,\)"):
        seasonality_test(np.ones((3, 2)), 2)
    with pytest.raises(InputError, match="season must be a positive int"):
        seasonality_test(np.ones(10), 0)


# ---------------------------------------------------------------------------------------------
# seasonal_indices


def test_seasonal_indices_by_hand_even_season():
    y = np.array([2.0, 4, 6, 4, 3, 6, 9, 6, 2, 4, 6, 4])
    # 2×4 moving average T_t = (y_{t-2}/2 + y_{t-1} + y_t + y_{t+1} + y_{t+2}/2) / 4, t = 2 .. 9:
    #   33/8, 9/2, 41/8, 23/4, 47/8, 11/2, 39/8, 17/4; ratios y_t / T_t:
    #   t = 2: 16/11, 3: 8/9, 4: 24/41, 5: 24/23, 6: 72/47, 7: 12/11, 8: 16/39, 9: 16/17
    figure = [(Fraction(24, 41) + Fraction(16, 39)) / 2,   # position 0: t = 4, 8
              (Fraction(24, 23) + Fraction(16, 17)) / 2,   # position 1: t = 5, 9
              (Fraction(16, 11) + Fraction(72, 47)) / 2,   # position 2: t = 2, 6
              (Fraction(8, 9) + Fraction(12, 11)) / 2]     # position 3: t = 3, 7
    expected = [float(f / (sum(figure) / 4)) for f in figure]
    np.testing.assert_allclose(seasonal_indices(y, 4), expected, rtol=1e-14)


def test_seasonal_indices_by_hand_odd_season():
    # 3-term average: T_1 .. T_4 = 3, 10/3, 4, 6; ratios 2/3, 9/5, 1/2, 2/3;
    # positions 0: 1/2; 1: (2/3 + 2/3)/2; 2: 9/5; their mean 89/90
    y = np.array([1.0, 2, 6, 2, 4, 12])
    np.testing.assert_allclose(seasonal_indices(y, 3), [45 / 89, 60 / 89, 162 / 89], rtol=1e-14)


@pytest.mark.parametrize("season, n", [(4, 8), (4, 37), (7, 50), (12, 100), (24, 700)])
def test_seasonal_indices_average_one(season, n):
    y = np.random.default_rng(n).uniform(1, 10, size=n)
    assert seasonal_indices(y, season).mean() == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("season, n", [(4, 12), (5, 23), (12, 100), (24, 700)])
def test_multiplicative_series_recovers_its_season(season, n):
    s = np.random.default_rng(season).uniform(0.5, 1.5, size=season)
    s /= s.mean()
    t = np.arange(n)
    np.testing.assert_allclose(seasonal_indices(40.0 * s[t % season], season), s, rtol=1e-12)
    # with a trend the moving average is only close to it: close, not exact
    trend = 40.0 + 0.01 * t
    np.testing.assert_allclose(seasonal_indices(trend * s[t % season], season), s, rtol=1e-3)


def test_seasonal_indices_errors():
    with pytest.raises(InputError, match=r"season must lie in \[2, n/2\].*season=4 for n=7"):
        seasonal_indices(np.ones(7), 4)
    with pytest.raises(InputError, match=r"season must lie in \[2, n/2\].*season=1"):
        seasonal_indices(np.ones(7), 1)
    with pytest.raises(InputError, match="moving average is 0 at row 1"):
        seasonal_indices(np.array([1.0, -1, 1, -1, 1, -1, 1, -1]), 2)


# ---------------------------------------------------------------------------------------------
# naive2_forecast


def test_naive2_seasonal_by_hand():
    # level 4, season (0.5, 1, 1.5, 1): indices exactly (0.5, 1, 1.5, 1). 22 values end at
    # position 21 mod 4 = 1 (index 1, y = 4, deseasonalised 4); steps 1..5 are positions
    # 2, 3, 0, 1, 2: 4 · (1.5, 1, 0.5, 1, 1.5)
    y = np.tile([2.0, 4, 6, 4], 6)[:22]
    assert seasonality_test(y, 4)
    np.testing.assert_allclose(naive2_forecast(y, 5, 4), [6, 4, 2, 4, 6], rtol=1e-14)


def test_naive2_deseasonalises_the_last_value():
    t = np.arange(101)
    y = (50 + 0.2 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + np.random.default_rng(0).normal(
        size=101)
    s = seasonal_indices(y, 12)
    level = y[-1] / s[100 % 12]  # the last row, 100, is at position 4
    np.testing.assert_allclose(naive2_forecast(y, 14, 12), level * s[np.arange(101, 115) % 12])


def test_naive2_non_seasonal_is_naive():
    y = np.array([5.0, 1, 4, 2, 3])
    np.testing.assert_array_equal(naive2_forecast(y, 3, 4), [3, 3, 3])  # n < 3m
    np.testing.assert_array_equal(naive2_forecast(y, 2, 1), [3, 3])  # m = 1
    noise = 10 + np.random.default_rng(0).normal(size=500)
    assert not seasonality_test(noise, 24)
    np.testing.assert_array_equal(naive2_forecast(noise, 4, 24), np.full(4, noise[-1]))


def test_naive2_errors():
    with pytest.raises(InputError, match="horizon must be a positive int"):
        naive2_forecast(np.ones(5), 0, 2)
    with pytest.raises(InputError, match="history must hold at least one value"):
        naive2_forecast(np.array([]), 2, 2)


# ---------------------------------------------------------------------------------------------
# owa, benchmark_scores


def test_owa_by_hand():
    assert owa(10.0, 1.0, 20.0, 4.0) == pytest.approx(0.5 * (0.5 + 0.25))
    assert owa(3.0, 2.0, 3.0, 2.0) == 1.0
    with pytest.raises(InputError, match="mase_naive2 must be > 0, got 0"):
        owa(1.0, 1.0, 1.0, 0.0)


def test_benchmark_scores_by_hand():
    # yearly ids: m = 1, so all three benchmarks are the naive forecast
    #   Y1: train 1 2 3, test 4 5, forecast 3 3: sMAPE 100 · (1/7 + 2/8), scale 1, MASE 1.5
    #   Y2: train 10 8, test 8 12, forecast 8 8: sMAPE 100 · (0 + 4/20), scale 2, MASE 1
    data = M4Data(("Y1", "Y2"), (np.array([1.0, 2, 3]), np.array([10.0, 8])),
                  (np.array([4.0, 5]), np.array([8.0, 12])), 2)
    scores = benchmark_scores(data)
    smape = (100 * (1 / 7 + 2 / 8) + 100 * 4 / 20) / 2
    for name in ("naive", "snaive", "naive2"):
        assert scores[name] == pytest.approx({"smape": smape, "mase": 1.25, "owa": 1.0})
    rows = scores["per_series"]
    assert list(rows.columns) == ["id", "naive_smape", "naive_mase", "snaive_smape",
                                  "snaive_mase", "naive2_smape", "naive2_mase"]
    assert rows["id"].tolist() == ["Y1", "Y2"] and rows["naive_mase"].tolist() == [1.5, 1.0]


def test_benchmark_scores_errors():
    with pytest.raises(InputError, match="benchmark_scores needs test values"):
        benchmark_scores(M4Data(("Y1",), (np.array([1.0, 2]),)))
    flat = M4Data(("Y1",), (np.array([5.0, 5, 5]),), (np.array([5.0]),), 1)
    with pytest.raises(InputError, match="series Y1: MASE scale is 0"):
        benchmark_scores(flat)


@pytest.mark.slow
def test_published_m4_hourly_table():
    # "Evaluation and Ranks.xlsx", sheet "Point Forecasts-Frequency", Hourly (datasets/SOURCES.md)
    published = {"naive": (43.003, 11.608, 3.593), "snaive": (13.912, 1.193, 0.627),
                 "naive2": (18.383, 2.395, 1.000)}
    scores = benchmark_scores(load_m4_hourly())
    for name, (smape, mase, table_owa) in published.items():
        assert round(scores[name]["smape"], 3) == smape, name
        assert round(scores[name]["mase"], 3) == mase, name
        # the table's OWA is OWA of its rounded figures
        rounded = [round(scores[k][f], 3) for k in (name, "naive2") for f in ("smape", "mase")]
        assert round(owa(*rounded), 3) == table_owa, name
    assert scores["naive2"]["owa"] == 1.0
    assert round(scores["naive"]["owa"], 3) == 3.593
    # unrounded, seasonal Naive's OWA is 0.627503, which the table prints as 0.627
    assert round(scores["snaive"]["owa"], 5) == 0.6275
    assert len(scores["per_series"]) == 414
