"""rnnkit.sequences: the UCR and long formats read back what was written; errors name the place."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.sequences import (
    check_classes,
    check_min_length,
    check_test_labels,
    read_labelled,
    stratified_split,
)

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_the_bundled_ecg200_is_the_archives():
    train, test = read_labelled("ecg200", "train"), read_labelled("ecg200", "test")
    assert len(train.ids) == len(test.ids) == 100 and train.features == ("value",)
    assert set(train.lengths) == {96} and train.values[0][0, 0] == 0.50205548
    assert (train.labels.count("1"), train.labels.count("-1")) == (69, 31)
    assert (test.labels.count("1"), test.labels.count("-1")) == (64, 36)
    assert train.classes == ("-1", "1")


@st.composite
def labelled(draw, features: int = 1):
    """Ragged sequences with labels: (values, labels)."""
    n = draw(st.integers(2, 8))
    values = [np.round(np.array(draw(st.lists(
        st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=features, max_size=features),
        min_size=1, max_size=6))), 6) for _ in range(n)]
    labels = [draw(st.sampled_from(["-1", "1", "2"])) for _ in range(n)]
    return values, labels


@SETTINGS
@given(data=labelled(), sep=st.sampled_from(["\t", ",", "   "]))
def test_ucr_files_read_back_with_nan_padding(tmp_path, data, sep):
    values, labels = data
    width = max(len(v) for v in values)
    lines = [sep.join([label, *(f"{x:.6f}" for x in v[:, 0]), *["NaN"] * (width - len(v))])
             for v, label in zip(values, labels, strict=True)]
    path = tmp_path / "ucr.txt"
    path.write_text("\n".join(lines) + "\n")
    read = read_labelled(str(path))
    assert read.labels == tuple(labels) and read.ids == tuple(map(str, range(1, len(lines) + 1)))
    for got, want in zip(read.values, values, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


@SETTINGS
@given(data=labelled(features=2), seed=st.integers(0, 100))
def test_long_files_read_back_whatever_the_row_order(tmp_path, data, seed):
    values, labels = data
    rows = [{"case": f"s{k}", "step": t, "a": v[t, 0], "b": v[t, 1], "class": label}
            for k, (v, label) in enumerate(zip(values, labels, strict=True))
            for t in range(len(v))]
    path = tmp_path / "long.csv"
    pd.DataFrame(rows).sample(frac=1.0, random_state=seed).to_csv(path, index=False)
    read = read_labelled(str(path))
    assert read.features == ("a", "b") and read.labels is not None
    by_id = dict(zip(read.ids, zip(read.values, read.labels, strict=True), strict=True))
    for k, (v, label) in enumerate(zip(values, labels, strict=True)):
        got, got_label = by_id[f"s{k}"]
        np.testing.assert_allclose(got, v)
        assert got_label == label


def test_both_formats_and_both_archive_releases_read_alike(tmp_path):
    ucr = tmp_path / "a.tsv"
    ucr.write_text("1\t0.5\t0.25\t0.125\n-1\t1.5\t2.5\tNaN\n")
    old = tmp_path / "a.txt"
    old.write_text("  1.0000000e+00  5.0000000e-01  2.5000000e-01  1.2500000e-01\n"
                   " -1.0000000e+00  1.5000000e+00  2.5000000e+00  NaN\n")
    long = tmp_path / "a.csv"
    long.write_text("id,time,value,label\n1,0,0.5,1\n1,1,0.25,1\n1,2,0.125,1\n"
                    "2,1,2.5,-1\n2,0,1.5,-1\n")
    reads = [read_labelled(str(p)) for p in (ucr, old, long)]
    for read in reads:
        assert read.labels == ("1", "-1")
        np.testing.assert_array_equal(read.padded(), reads[0].padded())


@pytest.mark.parametrize(("text", "message"), [
    ("1\t0.1\t0.2\n2\t0.3\n", r"ragged rows: line 2 has 2 fields, line 1 has 3"),
    ("1\t0.1\tx\n2\t0.3\t0.4\n", r"line 1, field 3: 'x' is not a number"),
    ("1\tNaN\t0.2\n2\t0.3\t0.4\n", r"line 1, field 2 is missing inside"),
    ("1\tNaN\tNaN\n2\t0.3\t0.4\n", r"line 1 has a label and no values"),
    ("0.5\t0.1\t0.2\n1.5\t0.3\t0.4\n", r"not categorical: '0.5' is not a whole number"),
    ("id,time,value\na,0,1\n", r"no label column"),
    ("id,time,value,label\na,0,1,x\na,1,2,y\n", r"sequence 'a' has two labels"),
    ("id,time,value,label\na,0,1,x\na,0,2,x\n", r"sequence 'a' has two rows at one 'time'"),
    ("id,time,value,label\na,0,1,x\na,1,oops,x\n", r"column 'value' is not numeric: row 3"),
    ("", r"is empty"),
])
def test_bad_files_are_one_line_naming_the_place(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        read_labelled(str(path))
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_label_per_sequence_is_not_categorical(tmp_path):
    path = tmp_path / "ids.tsv"
    path.write_text("".join(f"s{k}\t0.1\t0.2\n" for k in range(12)))
    with pytest.raises(InputError, match="every one of the 12 sequences has its own"):
        read_labelled(str(path))


def test_missing_files_folders_and_flags_are_one_line(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_labelled(str(tmp_path / "nope.tsv"))
    with pytest.raises(InputError, match="is a folder"):
        read_labelled(str(tmp_path))
    path = tmp_path / "l.csv"
    path.write_text("id,time,value,label\na,0,1,x\n")
    with pytest.raises(InputError, match="no column 'kind' \\(--label-column\\)"):
        read_labelled(str(path), label_column="kind")
    assert read_labelled(str(path), label_column="label").labels == ("x",)


def test_unlabelled_long_files_read_for_prediction(tmp_path):
    path = tmp_path / "new.csv"
    path.write_text("id,time,value\na,0,1\na,1,2\nb,0,3\n")
    read = read_labelled(str(path), labelled=False)
    assert read.labels is None and read.ids == ("a", "b") and list(read.lengths) == [2, 1]


def test_the_checks_name_the_class_the_label_and_the_sequence(tmp_path):
    one = tmp_path / "one.tsv"
    one.write_text("1\t0.1\t0.2\n1\t0.3\t0.4\n")
    with pytest.raises(InputError, match=r"a single class \('1'\) in all 2 sequences"):
        check_classes(read_labelled(str(one)))
    train, test = read_labelled("ecg200"), tmp_path / "t.tsv"
    test.write_text("3\t0.1\t0.2\n3\t0.1\t0.2\n1\t0.3\t0.4\n")
    with pytest.raises(InputError, match=r"label '3' \(2 test sequences\) was never seen"):
        check_test_labels(train, read_labelled(str(test)))
    short = tmp_path / "s.tsv"
    short.write_text("1\t0.1\tNaN\n2\t0.3\t0.4\n")
    with pytest.raises(InputError, match="sequence 1 has 1 step, shorter than 2: because"):
        check_min_length(read_labelled(str(short)), 2, "because")


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 30), min_size=2, max_size=6),
       fraction=st.floats(0.05, 0.9), seed=st.integers(0, 1000))
def test_stratified_splits_keep_each_class_share(counts, fraction, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(labels)
    kept, held, rare = stratified_split(labels, fraction, seed)
    assert np.intersect1d(kept, held).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([kept, held])), np.arange(len(labels)))
    for c, n in enumerate(counts):
        share = np.count_nonzero(labels[held] == c)
        expected = min(int(n * fraction + 0.5), n - 1)
        assert share == (0 if c in rare else expected)
        assert (c in rare) == (expected < 1)
        assert np.count_nonzero(labels[kept] == c) >= 1
    again = stratified_split(labels, fraction, seed)
    np.testing.assert_array_equal(again[1], held)
