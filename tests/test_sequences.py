"""rnnkit.io.sequences: both layouts read back what was written, every error names the file and the
place, and stratified splits keep each class's share."""

import gzip
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.io.datasets import dataset_names
from rnnkit.io.sequences import (
    LabelledSeries,
    check_classes,
    check_min_length,
    check_test_labels,
    stratified_split,
)
from rnnkit.io.sources import load_sequences

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
LABELS = [("1", "1"), ("1.0", "1"), ("1.0000000e+00", "1"), ("-1.0", "-1"), ("-1", "-1"),
          ("2", "2"), ("normal", "normal")]  # as written, as read


def test_the_bundled_ecg200_is_the_archives():
    train, test = load_sequences("ecg200"), load_sequences("ecg200", "test")
    for data in (train, test):
        assert len(data.ids) == 100 and set(data.lengths) == {96} and data.num_features == 1
        assert data.features == ("value",) and data.classes == ("-1", "1")
        assert all(v.dtype == np.float64 and np.isfinite(v).all() for v in data.values)
    assert train.values[0][0, 0] == 0.50205548 and train.labels[0] == "-1"
    assert (train.labels.count("1"), train.labels.count("-1")) == (69, 31)
    assert (test.labels.count("1"), test.labels.count("-1")) == (64, 36)
    assert train.ids[:3] == ("1", "2", "3") and dataset_names("sequences") == ("ecg200",)
    assert (train.source, test.source) == ("ecg200 (train, bundled)", "ecg200 (test, bundled)")
    assert not np.array_equal(train.padded(), test.padded())


def test_ecg200_reads_alike_in_the_old_release_and_in_long_format(tmp_path):
    """The archive's older .txt release writes %.7e with runs of spaces; ECG200's values have
    at most 8 significant digits, so it reads back exactly."""
    train = load_sequences("ecg200")
    old = tmp_path / "ECG200_TRAIN.txt"
    old.write_text("".join("".join(f"  {float(x): .7e}" for x in [int(label), *v[:, 0]]) + "\n"
                           for label, v in zip(train.labels, train.values, strict=True)))
    frame = pd.DataFrame({"Case": np.repeat(train.ids, 96), "Step": np.tile(np.arange(96), 100),
                          "value": np.concatenate(train.values)[:, 0],
                          "Class": np.repeat(train.labels, 96)})
    long = tmp_path / "ecg200.csv"
    frame.sample(frac=1.0, random_state=0).to_csv(long, index=False)
    shuffled = load_sequences(str(long))
    assert set(shuffled.ids) == set(train.ids)
    for read in (load_sequences(str(old)), shuffled.subset(map(shuffled.ids.index, train.ids))):
        assert read.labels == train.labels and read.ids == train.ids
        np.testing.assert_array_equal(read.padded(), train.padded())


@st.composite
def sequences(draw, max_features: int = 1):
    """(values, written labels, read labels): 1..8 sequences (T_i, F) of 1..6 steps."""
    n, features = draw(st.integers(1, 8)), draw(st.integers(1, max_features))
    finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    values = [np.array(draw(st.lists(st.lists(finite, min_size=features, max_size=features),
                                     min_size=1, max_size=6))) for _ in range(n)]
    pairs = [draw(st.sampled_from(LABELS)) for _ in range(n)]
    return values, [w for w, _ in pairs], tuple(r for _, r in pairs)


def write_ucr(path, values, labels, sep, pad):
    """The UCR format: a line each, label first, padded to one width with ``pad``."""
    width = max(len(v) for v in values)
    cells = [[label, *map(repr, v[:, 0].tolist()), *[pad] * (width - len(v))]
             for v, label in zip(values, labels, strict=True)]
    if sep == " ":  # the older release: leading and repeated spaces
        path.write_text("".join("  " + "   ".join(row) + "\n" for row in cells))
    else:
        path.write_text("".join(sep.join(row) + "\r\n" for row in cells))


@SETTINGS
@given(data=sequences(), sep=st.sampled_from(["\t", ",", " "]),
       pad=st.sampled_from(["NaN", "nan", ""]))
def test_ucr_files_read_back_exactly_with_nan_padding(tmp_path, data, sep, pad):
    values, written, labels = data
    pad = pad or ("NaN" if sep == " " else "")  # runs of spaces cannot hold an empty field
    path = tmp_path / "ucr.txt"
    write_ucr(path, values, written, sep, pad)
    read = load_sequences(str(path))
    assert read.labels == labels and read.ids == tuple(str(k + 1) for k in range(len(values)))
    assert read.features == ("value",) and list(read.lengths) == [len(v) for v in values]
    for got, want in zip(read.values, values, strict=True):
        assert got.shape == (len(want), 1) and np.array_equal(got, want)


@SETTINGS
@given(data=sequences(max_features=3), seed=st.integers(0, 2**16),
       sep=st.sampled_from([",", ";", "\t", "|"]), time=st.sampled_from(["int", "float", "date"]),
       names=st.sampled_from([("id", "time", "label"), ("Series", "Step", "Class"),
                              ("case", "t", "y"), ("sample", "timestamp", "target")]))
def test_long_files_read_back_exactly_whatever_the_row_order(tmp_path, data, seed, sep, time,
                                                             names):
    values, written, labels = data
    rng = np.random.default_rng(seed)
    ident, when, label = names
    features = [f"x{j}" for j in range(values[0].shape[1])]
    rows = []
    for k, (v, tag) in enumerate(zip(values, written, strict=True)):
        steps = np.cumsum(rng.integers(1, 5, len(v)))  # increasing, with gaps
        stamps = {"int": steps, "float": steps / 4.0,
                  "date": pd.Timestamp("2021-03-27") + pd.to_timedelta(steps, "h")}[time]
        for t in range(len(v)):
            cells = dict(zip(features, map(repr, v[t].tolist()), strict=True))
            rows.append({ident: f"s {k}", when: str(stamps[t]), **cells, label: tag})
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=seed)
    frame = frame[list(rng.permutation(frame.columns))]  # any column order
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False, sep=sep)
    read = load_sequences(str(path))
    assert read.features == tuple(c for c in frame.columns if c in features)
    assert read.ids == tuple(dict.fromkeys(frame[ident]))  # in order of first appearance
    by_id = dict(zip(read.ids, zip(read.values, read.labels, strict=True), strict=True))
    for k, (v, tag) in enumerate(zip(values, labels, strict=True)):
        got, got_label = by_id[f"s {k}"]
        order = [read.features.index(f) for f in features]
        assert np.array_equal(got[:, order], v) and got_label == tag


@SETTINGS
@given(data=sequences(), sep=st.sampled_from(["\t", ",", " "]), seed=st.integers(0, 100))
def test_ucr_and_melted_long_format_of_the_same_data_read_equal(tmp_path, data, sep, seed):
    """Long format from the padded UCR grid: the padding rows (no value) end each sequence."""
    values, written, _ = data
    write_ucr(tmp_path / "a.tsv", values, written, sep, "NaN")
    ucr = load_sequences(str(tmp_path / "a.tsv"))
    grid = ucr.padded()[:, :, 0]
    cells = ["" if math.isnan(x) else repr(x) for x in grid.ravel().tolist()]  # "": no value
    frame = pd.DataFrame({"id": np.repeat(ucr.ids, grid.shape[1]),
                          "t": np.tile(np.arange(grid.shape[1]), len(grid)),
                          "value": cells,
                          "label": np.repeat(written, grid.shape[1])})
    frame.sample(frac=1.0, random_state=seed).to_csv(tmp_path / "a.csv", index=False)
    long = load_sequences(str(tmp_path / "a.csv"))
    assert set(long.ids) == set(ucr.ids)  # in the shuffled file's order
    long = long.subset([long.ids.index(i) for i in ucr.ids])
    assert long.labels == ucr.labels and list(long.lengths) == list(ucr.lengths)
    np.testing.assert_array_equal(long.padded(), ucr.padded())


def test_blank_lines_crlf_and_gzip(tmp_path):
    path = tmp_path / "a.tsv.gz"
    path.write_bytes(gzip.compress(b"1\t0.5\t0.25\r\n\r\n-1\t1.5\t\r\n"))
    read = load_sequences(str(path))
    assert read.ids == ("1", "3") and read.labels == ("1", "-1")  # ids: the lines
    assert [v[:, 0].tolist() for v in read.values] == [[0.5, 0.25], [1.5]]


def test_given_columns_separator_and_format(tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("who\twhen\tv\tw\tkind\na\t2\t1\t5\tx\na\t1\t2\t6\tx\nb\t1\t3\t7\ty\n")
    read = load_sequences(str(path), format="long", sep="\\t", id_column="who", time_column="when",
                         label_column="kind", columns=("w",))
    assert read.features == ("w",) and read.ids == ("a", "b") and read.labels == ("x", "y")
    assert [v[:, 0].tolist() for v in read.values] == [[6.0, 5.0], [7.0]]
    no_time = load_sequences(str(path), id_column="who", label_column="kind")  # file order
    assert no_time.features == ("when", "v", "w") and no_time.values[0][:, 0].tolist() == [2, 1]
    trailing = tmp_path / "trailing.csv"
    trailing.write_text("id,time,value,label,\na,0,1,x,\n")  # an empty fifth column
    assert load_sequences(str(trailing)).features == ("value",)
    ucr = tmp_path / "u.csv"
    ucr.write_text("1;0.5;0.25\n2;1.5;NaN\n")
    assert load_sequences(str(ucr), format="ucr", sep=";").lengths.tolist() == [2, 1]


def test_parquet_files_are_long_format(tmp_path):
    path = tmp_path / "l.parquet"
    pd.DataFrame({"id": [7, 7, 8], "time": pd.to_datetime(["2020-01-02", "2020-01-01",
                                                           "2020-01-01"]),
                  "value": [1.0, 2.0, 3.0], "label": [1.0, 1.0, 0.0]}).to_parquet(path)
    read = load_sequences(str(path))
    assert read.ids == ("7", "8") and read.labels == ("1", "0") and read.classes == ("0", "1")
    assert read.values[0][:, 0].tolist() == [2.0, 1.0]


LONG = "id,time,value,label\n"
BAD = [  # (file text, read_labelled keywords, the message after the file's name)
    ("1\t0.1\t0.2\n2\t0.3\n", {}, r": ragged rows: line 2 has 2 fields, line 1 has 3; pad "
     r"shorter sequences with trailing NaN as the UCR archive does, or use long format$"),
    ("1\t0.1\t0.2\n\n2\t0.3\t0.4\t0.5\n", {}, r": ragged rows: line 3 has 4 fields, line 1"),
    ("1\t0.1\t0.2\n2\t0.3\tx\n", {}, r" line 2, field 3: 'x' is not a finite number$"),
    ("1\t0.1\tn/a\n2\t0.3\t0.4\n", {}, r" line 1, field 3: 'n/a' is not a finite number; if "
     r"line 1 is a header, pass `format` long$"),
    ("1\t0.1\tinf\n", {}, r" line 1, field 3: 'inf' is not a finite number$"),
    ("1\t0.1\t-1e200\n", {}, r" line 1, field 3: '-1e200' is beyond ±1e\+150"),
    ("1\tNaN\t0.2\n2\t0.3\t0.4\n", {}, r" line 1, field 2: a missing value \(NaN or empty\) "
     r"inside the sequence; only trailing NaN may end a shorter one$"),
    ("1,0.3,0.4\n2,0.1,,0.2\n", {}, r": ragged rows: line 2 has 4 fields, line 1 has 3"),
    ("1,0.3,0.4,0.5\n2,0.1,,0.2\n", {}, r" line 2, field 3: a missing value"),
    ("1\tNaN\tNaN\n2\t0.3\t0.4\n", {}, r" line 1: a label and no values$"),
    ("1,0.1,0.2\n2,,\n", {}, r" line 2: a label and no values$"),
    ("label,0,1,2\n1,0.1,0.2,0.3\n", {}, r" line 1: a header\? 'label' and then the numbers of "
     r"the steps; UCR files have no header: remove that line$"),
    ("1\n2\n", {}, r" line 1: a label and no values$"),
    (",0.1,0.2\n1,0.3,0.4\n", {}, r": line 1 has an empty label$"),
    ("0.53\t0.1\t0.2\n1\t0.3\t0.4\n", {}, r": the label field is not categorical: line 1 holds "
     r"'0.53', not a whole number; a classifier needs class labels$"),
    ("".join(f"s{k}\t0.1\n" for k in range(10)), {}, r": the label field is not categorical: "
     r"each of its 10 sequences has a label of its own; a classifier needs class labels$"),
    ("", {}, r" is empty$"),
    ("\n  \n", {}, r" is empty$"),
    ("id,time,value\na,0,1\n", {}, r": no label column \(none is named label, class, target, "
     r"y\); name it with `label_column`; the columns are 'id', 'time', 'value'$"),
    (LONG + "a,0,1,x\na,1,2,y\n", {}, r": sequence 'a' has two labels in 'label': 'x' \(line 2\) "
     r"and 'y' \(line 3\)$"),
    (LONG + "a,1,1,x\nb,0,1,x\na,1,2,x\n", {}, r": sequence 'a' has two rows at one 'time' "
     r"\(line 2 and line 4\)$"),
    (LONG + "a,0,1,x\na,1,oops,x\n", {}, r" line 3: 'value' is 'oops'; name the value columns "
     r"with `columns`$"),
    (LONG + "a,0,1,x\na,1,,x\na,2,3,x\n", {}, r": sequence 'a' has a missing value in column "
     r"'value' \(line 3\) before its last step$"),
    (LONG + "a,0,1,x\na,1,NaN,x\na,2,3,x\n", {}, r": sequence 'a' has a missing value"),
    (LONG + "a,0,,x\nb,0,1,y\n", {}, r": sequence 'a' has no values$"),
    (LONG + "a,2020-01-01,1,x\na,soon,2,x\n", {}, r" line 3: 'time' is 'soon', not a date$"),
    (LONG + "a,1,1,x\na,soon,2,x\n", {}, r" line 3: 'time' is 'soon', not a number as the other "
     r"times are$"),
    (LONG + "a,1,1,x\n,2,2,x\n", {}, r" line 3: the id column 'id' is empty$"),
    (LONG + "a,1,1,\na,2,2,\n", {}, r": sequence 'a' has an empty label$"),
    (LONG + "".join(f"{k},0,1,{k / 2}\n" for k in range(3)), {}, r": the label column 'label' "
     r"is not categorical: sequence '1' holds '0.5', not a whole number"),
    (LONG + "a,1,1,x\n", {"label_column": "kind"}, r": no column 'kind' \(`label_column`\); the "
     r"columns are 'id', 'time', 'value', 'label'$"),
    (LONG + "a,1,1,x\n", {"columns": ("value", "time")}, r": 'time' is the time column, not a "
     r"value column; leave it out of `columns`$"),
    (LONG + "a,1,1,x\n", {"id_column": "time"}, r": column 'time' cannot be two of `id_column`"),
    (LONG + "a,1,1,x\n", {"columns": ("vale",)}, r": no column 'vale' \(`columns`\)"),
    ("time,value,label\n0,1,x\n", {}, r": no id column \(none is named id, series, series_id, "
     r"sample, case\), and the first, 'time', is no id; name it with `id_column`$"),
    ("id,value,value,label\na,1,2,x\n", {}, r": the header has two columns named 'value'$"),
    ("id time value label\na 0 1 x\n", {}, r": long format separates its columns by ',', ';', "
     r"tab or '\|', not by spaces$"),
    ("id,time,value,label\na,0,1,x\n", {"format": "ucr"}, r" line 1, field 2: 'time' is not a "
     r"finite number; if line 1 is a header, pass `format` long$"),
]


@pytest.mark.parametrize(("text", "options", "message"), BAD)
def test_bad_files_raise_one_line_naming_the_file_and_place(tmp_path, text, options, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        load_sequences(str(path), **options)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_unreadable_files_and_bad_arguments_are_one_line(tmp_path):
    zipped = tmp_path / "z.tsv"
    zipped.write_bytes(b"PK\x03\x04rest of an archive")
    binary = tmp_path / "b.tsv"
    binary.write_bytes(b"1\t\xff\xfe\x00\x01\n")
    for path, message in [(tmp_path / "nope.tsv", "nope.tsv: no such file$"),
                          (tmp_path, " is a folder, not a file$"),
                          (zipped, "z.tsv is a zip archive: extract the CSV first"),
                          (binary, r"b.tsv: cannot decode it \(byte 2 is not UTF-8\)")]:
        with pytest.raises(InputError, match=message):
            load_sequences(str(path))
    for options, message in [({"format": "csv"}, "format must be one of 'auto', 'ucr', 'long'"),
                             ({"part": "valid"}, "part must be one of 'train', 'test', got"),
                             ({"sep": "ab"}, r"sep must be one character .* got 'ab'")]:
        with pytest.raises(InputError, match=message):
            load_sequences("ecg200", **options)


def test_a_few_repeated_labels_are_classes_and_ten_of_their_own_are_not(tmp_path):
    path = tmp_path / "nine.tsv"
    path.write_text("".join(f"s{k}\t0.1\n" for k in range(9)))  # under MIN_DISTINCT: kept
    assert len(load_sequences(str(path)).classes) == 9


def test_unlabelled_reading_for_prediction(tmp_path):
    long = tmp_path / "new.csv"
    long.write_text("id,time,value\na,0,1\na,1,2\nb,0,3\n")
    read = load_sequences(str(long), labelled=False)
    assert read.labels is None and read.ids == ("a", "b") and list(read.lengths) == [2, 1]
    assert read.classes == ()
    blank = tmp_path / "blank.csv"
    blank.write_text("id,time,value,label\na,0,1,\nb,0,3,\n")
    assert load_sequences(str(blank), labelled=False).labels is None
    ucr = tmp_path / "new.tsv"
    ucr.write_text("".join(f"{k}.5\t0.1\t0.2\n" for k in range(12)))  # ids, not classes
    assert load_sequences(str(ucr), labelled=False).labels == tuple(f"{k}.5" for k in range(12))
    with pytest.raises(InputError, match="not categorical"):
        load_sequences(str(ucr))


def test_labelled_series_padding_subsets_and_classes():
    values = (np.arange(6.0).reshape(3, 2), np.ones((1, 2)), np.zeros((2, 2)))
    data = LabelledSeries(("a", "b", "c"), values, ("10", "-1", "9"), ("u", "v"), "demo")
    assert data.classes == ("-1", "9", "10") and data.num_features == 2
    assert data.lengths.dtype == np.int64 and data.lengths.tolist() == [3, 1, 2]
    grid = data.padded(fill=-5.0)
    assert grid.shape == (3, 3, 2) and grid.dtype == np.float64
    assert (grid[1, 1:] == -5.0).all() and np.array_equal(grid[0], values[0])
    assert np.isnan(data.padded()[2, 2]).all()
    part = data.subset(np.array([2, 0]))
    assert part.ids == ("c", "a") and part.labels == ("9", "10") and part.values[1] is values[0]
    assert part.features == data.features and part.source == "demo"
    assert data.subset([]).padded().shape == (0, 0, 2)
    text = LabelledSeries(("a", "b"), values[:2], ("b", "10"), ("u", "v"), "demo")
    assert text.classes == ("10", "b")  # not all numbers: as text
    assert LabelledSeries(("a",), values[:1], None, ("u", "v"), "x").subset([0]).labels is None


def test_the_checks_name_the_file_the_label_and_the_sequence(tmp_path):
    one = tmp_path / "one.tsv"
    one.write_text("1\t0.1\t0.2\n1.0\t0.3\t0.4\n")
    with pytest.raises(InputError, match=r"one.tsv: a single class \('1'\) in all 2 sequences; "
                       "a classifier needs at least two classes$"):
        check_classes(load_sequences(str(one)))
    unlabelled = LabelledSeries(("a",), (np.ones((2, 1)),), None, ("value",), "new.csv")
    with pytest.raises(InputError, match="^new.csv has no labels"):
        check_classes(unlabelled)
    train = load_sequences("ecg200")
    assert check_classes(train) == ("-1", "1")
    test = tmp_path / "t.tsv"
    test.write_text("3\t0.1\t0.2\n3\t0.1\t0.2\n1\t0.3\t0.4\n4\t0.3\t0.4\n")
    with pytest.raises(InputError, match=rf"^{test}: label '3' \(2 test sequences\) was never "
                       r"seen in training \(ecg200 \(train, bundled\) has '-1', '1'\); 1 more "
                       "unseen labels$"):
        check_test_labels(train, load_sequences(str(test)))
    check_test_labels(train, load_sequences("ecg200", "test"))
    check_test_labels(train, unlabelled)  # nothing to check
    short = tmp_path / "s.tsv"
    short.write_text("1\t0.1\t0.2\n2\t0.3\tNaN\n")
    check_min_length(load_sequences(str(short)), 1, "unused")
    with pytest.raises(InputError, match=rf"^{short}: sequence '2' has 1 step, fewer than 2: "
                       "a sequence needs two steps$"):
        check_min_length(load_sequences(str(short)), 2, "a sequence needs two steps")


@settings(max_examples=80, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=1, max_size=6),
       fraction=st.floats(0.01, 0.99), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from([int, str, object]))
def test_stratified_splits_keep_each_class_share(counts, fraction, seed, kind):
    labels = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(labels)
    as_text = kind is not int
    labels = labels.astype(str).astype(kind) if as_text else labels
    train_idx, val_idx, rare = stratified_split(labels, fraction, seed)
    for idx in (train_idx, val_idx):
        assert idx.dtype == np.int64 and np.array_equal(idx, np.sort(idx))
    assert np.intersect1d(train_idx, val_idx).size == 0
    assert np.array_equal(np.sort(np.r_[train_idx, val_idx]), np.arange(len(labels)))
    for c, n in enumerate(counts):
        c = str(c) if as_text else c
        share = min(math.floor(n * fraction + 0.5), n - 1)  # half rounds up; one stays
        assert (c in rare) == (share < 1)
        assert np.count_nonzero(labels[val_idx] == c) == (0 if c in rare else share)
        assert np.count_nonzero(labels[train_idx] == c) >= 1
    assert all(type(c) is (str if as_text else int) for c in rare)
    again = stratified_split(labels, fraction, seed)
    assert all(np.array_equal(a, b) for a, b in zip(again[:2], (train_idx, val_idx),
                                                    strict=True))


def test_stratified_split_draws_by_the_seed_and_checks_its_arguments():
    labels = np.repeat(["a", "b"], 50)
    draws = {tuple(stratified_split(labels, 0.3, seed)[1]) for seed in range(5)}
    assert len(draws) == 5  # C(50, 15)² possible draws
    assert [len(part) for part in stratified_split([], 0.5)] == [0, 0, 0]
    for bad in (0.0, 1.0, -0.1, 1.5, float("nan")):
        with pytest.raises(InputError, match="val_fraction"):
            stratified_split(labels, bad)
    with pytest.raises(InputError, match=r"labels must be one-dimensional, got shape \(2, 50\)"):
        stratified_split(labels.reshape(2, 50), 0.5)
