"""rnnkit.io: reading and cleaning series files, the bundled AAPL data, atomic writes."""

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.io import (
    AAPL_PROVENANCE,
    MODEL_FORMAT,
    CleaningReport,
    load_aapl,
    load_model,
    load_safetensors,
    load_table,
    prepare_out,
    read_corpus,
    read_series,
    save_model,
    save_safetensors_atomic,
    write_json_atomic,
    write_text_atomic,
)


def _csv(tmp_path, text: str, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------
# read_series


def test_reads_a_clean_file(tmp_path):
    path = _csv(tmp_path, "Date,Close,Volume\n2020-01-02,10.5,100\n2020-01-03,11,200\n")
    frame, report = read_series(path)
    assert list(frame.columns) == ["Close", "Volume"]
    assert frame.index.name == "date" and isinstance(frame.index, pd.DatetimeIndex)
    assert (frame.dtypes == np.float64).all()
    np.testing.assert_array_equal(frame["Close"], [10.5, 11.0])
    assert report == CleaningReport(rows_read=2, duplicates_dropped=0,
                                    filled={"Close": 0, "Volume": 0}, leading_dropped=0)


@pytest.mark.parametrize("text, date_column", [
    ("Ticker,TIMESTAMP,Close\nAAPL,2020-01-02,1\nAAPL,2020-01-03,2\n", "TIMESTAMP"),  # by name
    ("Ticker,When,Close\nAAPL,2020-01-02,1\nAAPL,2020-01-03,2\n", "When"),  # by values
])
def test_finds_the_date_column(tmp_path, text, date_column):
    frame, _ = read_series(_csv(tmp_path, text))
    assert list(frame.columns) == ["Close"]  # the text column 'Ticker' is not numeric
    assert frame.index[0] == pd.Timestamp("2020-01-02")


def test_no_date_column_names_the_file(tmp_path):
    path = _csv(tmp_path, "a,b\nx,1\ny,2\n")
    with pytest.raises(InputError, match=re.escape(f"{path} has no date column") + ".*date_column"):
        read_series(path)


def test_explicit_date_column_and_columns(tmp_path):
    path = _csv(tmp_path, "Day,Open,Close\n2020-01-02,1,2\n2020-01-03,3,4\n")
    frame, _ = read_series(path, date_column="Day", columns=["Close", "Open"])
    assert list(frame.columns) == ["Close", "Open"]


def test_unsorted_rows_are_sorted(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-03,3\n2020-01-01,1\n2020-01-02,2\n")
    frame, _ = read_series(path)
    assert frame.index.is_monotonic_increasing
    np.testing.assert_array_equal(frame["Close"], [1.0, 2.0, 3.0])


def test_duplicate_dates_warn_and_keep_the_last(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-02,1\n2020-01-03,2\n2020-01-02,9\n2020-01-03,8\n"
                          "2020-01-03,7\n")
    with pytest.warns(UserWarning, match="dropped 3 rows whose date appears again later"):
        frame, report = read_series(path)
    np.testing.assert_array_equal(frame["Close"], [9.0, 7.0])
    assert report.duplicates_dropped == 3 and report.rows_read == 5


def test_gaps_are_forward_filled_and_counted(tmp_path):
    path = _csv(tmp_path, "Date,Open,Close\n"
                          "2020-01-01,,\n"
                          "2020-01-02,,5\n"
                          "2020-01-03,1,\n"
                          "\n"
                          "2020-01-04,2,\n"
                          "2020-01-05, ,6\n")
    frame, report = read_series(path)
    assert report.to_dict() == {"rows_read": 5, "duplicates_dropped": 0,
                                "filled": {"Open": 1, "Close": 2}, "leading_dropped": 2}
    assert frame.index[0] == pd.Timestamp("2020-01-03")
    np.testing.assert_array_equal(frame["Open"], [1.0, 2.0, 2.0])
    np.testing.assert_array_equal(frame["Close"], [5.0, 5.0, 6.0])


def test_non_numeric_value_names_file_line_and_column(tmp_path):
    rows = [f"2020-01-{d:02d},{d}.5" for d in range(1, 21)]
    rows[15] = "2020-01-16,n/a"  # data row 16 is line 17: the header is line 1
    path = _csv(tmp_path, "Date,Close\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as info:
        read_series(path)
    assert str(info.value) == f"{path} line 17: 'Close' is 'n/a'"


def test_line_numbers_count_blank_lines(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-01,1\n\n2020-01-02,inf\n")
    with pytest.raises(InputError, match=r"line 4: 'Close' is 'inf'$"):
        read_series(path)


def test_bad_date_names_the_line(tmp_path):
    path = _csv(tmp_path, "Date,Close\n2020-01-01,1\n2020-13-45,2\n")
    with pytest.raises(InputError, match=r"line 3: 'Date' is '2020-13-45', not a date"):
        read_series(path)


def test_unknown_column_lists_those_available(tmp_path):
    path = _csv(tmp_path, "Date,Open,Close\n2020-01-01,1,2\n")
    with pytest.raises(InputError) as info:
        read_series(path, columns=["Adj Close"])
    assert str(info.value) == (f"{path} has no column 'Adj Close'; "
                               "available: 'Date', 'Open', 'Close'")


@pytest.mark.parametrize("text, match", [
    ("", "is empty"),
    ("Date,Close\n", "has no data rows"),
    ("Date,Close\n\n\n", "has no data rows"),
    ("Date,Name\n2020-01-01,x\n", "has no numeric column besides the dates in 'Date'"),
])
def test_files_without_usable_rows(tmp_path, text, match):
    path = _csv(tmp_path, text)
    with pytest.raises(InputError, match=f"{re.escape(str(path))}:? {match}"):
        read_series(path)


def test_a_requested_empty_column_leaves_no_row(tmp_path):
    path = _csv(tmp_path, "Date,Open,Close\n2020-01-01,1,\n2020-01-02,2,\n")
    assert list(read_series(path)[0].columns) == ["Open"]  # an empty column is not numeric
    with pytest.raises(InputError, match="no row has a value in every column of .'Open', 'Close'"):
        read_series(path, columns=["Open", "Close"])
    with pytest.raises(InputError, match="columns must name at least one column"):
        read_series(path, columns=[])


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError, match=re.escape(f"{path}: no such file")):
        read_series(path)


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow installed")
def test_parquet_without_pyarrow_says_so(tmp_path):
    path = tmp_path / "prices.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(InputError, match="needs pyarrow"):
        read_series(path)


# ---------------------------------------------------------------------------------------------
# the bundled AAPL file


def test_load_aapl():
    frame = load_aapl()
    assert len(frame) == 1510
    assert frame.index[0] == pd.Timestamp("2015-01-02")
    assert frame.index[-1] == pd.Timestamp("2020-12-30")
    assert frame.loc["2020-12-30", "Close"] == 133.720001
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    assert "5f7cd73cdb74205ffbb45be65b10b53f2c56d51e" in AAPL_PROVENANCE
    assert "\n" not in AAPL_PROVENANCE


def test_bundled_file_matches_its_recorded_sha256():
    files = resources.files("rnnkit.datasets")
    digest = hashlib.sha256((files / "aapl.csv").read_bytes()).hexdigest()
    assert f"sha256 `{digest}`" in (files / "SOURCES.md").read_text()


def test_io_and_data_load_without_torch():
    code = "import sys, rnnkit.io, rnnkit.data; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------------------------
# atomic writes and safetensors


def test_write_text_atomic_creates_parents(tmp_path):
    path = tmp_path / "a" / "b" / "notes.txt"
    write_text_atomic(path, "héllo\n")
    assert path.read_text(encoding="utf-8") == "héllo\n"
    assert list(path.parent.iterdir()) == [path]


def test_write_json_atomic_keeps_key_order(tmp_path):
    path = tmp_path / "config.json"
    write_json_atomic(path, {"b": 1, "a": [1, 2]})
    assert path.read_text() == '{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}\n'


def test_failed_json_write_leaves_the_previous_file(tmp_path):
    path = tmp_path / "config.json"
    write_json_atomic(path, {"epochs": 1})
    with pytest.raises(TypeError, match="not JSON serializable"):
        write_json_atomic(path, {"epochs": object()})
    assert json.loads(path.read_text()) == {"epochs": 1}
    assert list(tmp_path.iterdir()) == [path]


def test_failed_text_write_removes_the_tmp_file(tmp_path):
    path = tmp_path / "notes.txt"
    write_text_atomic(path, "old")
    with pytest.raises(AttributeError):
        write_text_atomic(path, 42)  # not a str
    assert path.read_text() == "old" and list(tmp_path.iterdir()) == [path]


def test_safetensors_round_trip(tmp_path):
    path = tmp_path / "ckpt" / "model.safetensors"
    tensors = {"weight_hh_l0": torch.randn(4, 3, dtype=torch.float64),
               "step": torch.tensor([7], dtype=torch.int64)}
    metadata = {"config": {"hidden_size": 4, "cell": "lstm"}, "step": 7, "loss": 0.25}
    save_safetensors_atomic(path, tensors, metadata)
    loaded, meta = load_safetensors(path)
    assert meta == metadata and loaded.keys() == tensors.keys()
    for name, tensor in tensors.items():
        assert torch.equal(loaded[name], tensor) and loaded[name].dtype == tensor.dtype
    assert list(path.parent.iterdir()) == [path]


def test_failed_safetensors_save_leaves_the_previous_file(tmp_path):
    path = tmp_path / "model.safetensors"
    save_safetensors_atomic(path, {"w": torch.ones(2)}, {"step": 1})
    with pytest.raises(TypeError):
        save_safetensors_atomic(path, {"w": torch.zeros(2)}, {"step": object()})
    loaded, meta = load_safetensors(path)
    assert meta == {"step": 1} and torch.equal(loaded["w"], torch.ones(2))
    assert list(tmp_path.iterdir()) == [path]


def test_load_safetensors_errors(tmp_path):
    missing = tmp_path / "missing.safetensors"
    with pytest.raises(InputError, match=re.escape(f"{missing}: no such file")):
        load_safetensors(missing)
    text = _csv(tmp_path, "Date,Close\n2020-01-01,1\n", name="model.safetensors")
    with pytest.raises(InputError, match=re.escape(f"{text} is not a safetensors file")):
        load_safetensors(text)


# -- the job's data -----------------------------------------------------------------------------
def test_load_table_bundled_and_a_file(tmp_path):
    frame, record = load_table("aapl", columns=["Close", "Volume"])
    assert list(frame.columns) == ["Close", "Volume"] and len(frame) == 1510
    assert record == {"source": "aapl", "provenance": AAPL_PROVENANCE}
    with pytest.raises(InputError, match="--data aapl: no column 'Price'"):
        load_table("aapl", columns=["Price"])
    path = _csv(tmp_path, "Date,Close\n2020-01-02,1\n2020-01-02,2\n2020-01-03,3\n")
    with pytest.warns(UserWarning, match="dropped 1 rows"):
        frame, record = load_table(str(path), columns=["Close"])
    assert frame["Close"].tolist() == [2.0, 3.0]
    assert record["source"] == str(path) and record["cleaning"]["duplicates_dropped"] == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"), (b"ab\x00cd", "looks binary"), (b"\xff\xfe\xfa", "not UTF-8 text"),
])
def test_read_corpus_refuses_what_is_not_text(tmp_path, content, message):
    path = tmp_path / "corpus"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_corpus(str(path))
    with pytest.raises(InputError, match="cannot read"):
        read_corpus(str(tmp_path / "missing.txt"))
    assert read_corpus("shakespeare").startswith("First Citizen:")


def test_prepare_out_creates_the_folder_or_says_why_not(tmp_path):
    assert prepare_out(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="--out: cannot write to"):
        prepare_out(tmp_path / "file" / "sub")


# -- the one model-folder format ------------------------------------------------------------------
def test_model_folder_round_trip_with_kind_and_version(tmp_path):
    tensors = {"w": torch.arange(6.0).view(2, 3), "b": torch.zeros(2, dtype=torch.int64)}
    save_model(tmp_path / "m", "ESN", tensors, {"units": 3, "nested": {"a": [1, 2]}})
    loaded, config = load_model(tmp_path / "m", "ESN")
    assert config == {"units": 3, "nested": {"a": [1, 2]}}
    assert loaded.keys() == tensors.keys()
    for name, t in tensors.items():
        assert torch.equal(loaded[name], t)
    readable = json.loads((tmp_path / "m" / "config.json").read_text())
    assert readable == {"kind": "ESN", "rnnkit_version": __version__, "format": MODEL_FORMAT,
                        "config": config}
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json",
                                                                  "weights.safetensors"]


def test_model_folder_errors_say_what_was_found_and_what_to_pass(tmp_path):
    save_model(tmp_path / "run" / "model", "CharLM", {"w": torch.zeros(1)}, {})
    cases = [
        (tmp_path / "nowhere", "Forecaster", "no such folder; pass a model folder written by "
                                             "rnnkit forecast"),
        (tmp_path / "run", "CharLM", f"is a run folder; pass its model: {tmp_path / 'run'}"),
        (tmp_path, "ESN", "holds no rnnkit model (no weights.safetensors)"),
        (tmp_path / "run" / "model", "Forecaster", "holds model kind 'CharLM' (written by "
                                                   "rnnkit text train), not 'Forecaster'"),
    ]
    for folder, kind, message in cases:
        with pytest.raises(InputError, match=re.escape(message)):
            load_model(folder, kind)
    with pytest.raises(InputError, match="kind must be one of"):
        save_model(tmp_path / "x", "Transformer", {}, {})


@pytest.mark.parametrize(("header", "config", "message"), [
    ({"kind": "Forecaster"}, {"rnnkit_version": "0.1.0"},
     "written by rnnkit 0.1.0 in model format 1, which rnnkit"),
    ({"kind": "CharLM"}, {"vocab": "ab"}, "written by rnnkit 0.1.0 or earlier in model format 1"),
    ({"kind": "Forecaster", "format": MODEL_FORMAT + 1, "rnnkit_version": "9.0"}, {},
     "written by rnnkit 9.0 in model format 3, which rnnkit .* cannot read: upgrade rnnkit"),
])
def test_folders_of_other_formats_are_refused_naming_the_version(tmp_path, header, config,
                                                                 message):
    save_safetensors_atomic(tmp_path / "weights.safetensors", {"w": torch.zeros(1)}, header)
    write_json_atomic(tmp_path / "config.json", config)
    with pytest.raises(InputError, match=message):
        load_model(tmp_path, "Forecaster" if header["kind"] == "Forecaster" else "CharLM")
