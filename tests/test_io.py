"""rnnkit.io.files: the jobs' data, the bundled AAPL data, atomic writes, model folders."""

import hashlib
import json
import re
import subprocess
import sys
from importlib import resources

import pandas as pd
import pytest
import torch

from rnnkit import __version__
from rnnkit._checks import InputError
from rnnkit.io import AAPL_PROVENANCE, load_aapl, load_corpus, load_series
from rnnkit.io.files import (
    MODEL_FORMAT,
    load_model,
    load_safetensors,
    prepare_out,
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
    code = ("import sys, rnnkit.io.files, rnnkit.io.tables, rnnkit.forecast.windows; "
            "print('torch' in sys.modules)")
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


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_json_is_strict_so_nan_leaves_the_previous_file(tmp_path, value):
    path = tmp_path / "metrics.json"
    write_json_atomic(path, {"loss": 0.5})
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        write_json_atomic(path, {"loss": value})
    assert json.loads(path.read_text()) == {"loss": 0.5}
    assert list(tmp_path.iterdir()) == [path]  # no .tmp left behind


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
def test_load_series_bundled_and_a_file(tmp_path):
    frame, record = load_series("aapl", ["Close", "Volume"])
    assert list(frame.columns) == ["Close", "Volume"] and len(frame) == 1510
    assert record == {"source": "aapl", "provenance": AAPL_PROVENANCE}
    with pytest.raises(InputError, match="^`data` aapl: no column 'Price'"):
        load_series("aapl", ["Price"])
    path = _csv(tmp_path, "Date,Close\n2020-01-02,1\n2020-01-02,2\n2020-01-03,3\n")
    with pytest.warns(UserWarning, match="dropped 1 rows"):
        frame, record = load_series(str(path), ["Close"])
    assert frame["Close"].tolist() == [2.0, 3.0]
    assert record["source"] == str(path) and record["cleaning"]["duplicates_dropped"] == 1


def test_load_series_passes_the_file_options_on(tmp_path):
    path = _csv(tmp_path, "Day;Close;Name\n2020-01-02;1,5;A\n2020-01-02;9;B\n2020-01-03;2;A\n")
    frame, record = load_series(str(path), ["Close"], date_column="Day", sep=";", decimal=",",
                                id_column="Name", series="A")
    assert frame["Close"].tolist() == [1.5, 2.0]
    assert record["cleaning"]["series"] == "A" and record["cleaning"]["sep"] == ";"
    frame, _ = load_series(str(path), id_column="Name", series="B")  # "" detects the rest
    assert frame["Close"].tolist() == [9.0]
    with pytest.raises(InputError, match="^`data` aapl is a single series"):
        load_series("aapl", id_column="Name", series="AAPL")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"), (b"ab\x00cd", "looks binary"), (b"\xff\xfe\xfa", "not UTF-8 text"),
])
def test_load_corpus_refuses_what_is_not_text(tmp_path, content, message):
    path = tmp_path / "corpus"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_corpus(str(path))
    with pytest.raises(InputError, match="^`corpus`: .*missing.txt: no such file$"):
        load_corpus(str(tmp_path / "missing.txt"))
    assert load_corpus("shakespeare").startswith("First Citizen:")


def test_prepare_out_creates_the_folder_or_says_why_not(tmp_path):
    assert prepare_out(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="^`out`: cannot write to"):
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
     f"written by rnnkit 9.0 in model format {MODEL_FORMAT + 1}, which rnnkit .* cannot read: "
     "upgrade rnnkit"),
])
def test_folders_of_other_formats_are_refused_naming_the_version(tmp_path, header, config,
                                                                 message):
    save_safetensors_atomic(tmp_path / "weights.safetensors", {"w": torch.zeros(1)}, header)
    write_json_atomic(tmp_path / "config.json", config)
    with pytest.raises(InputError, match=message):
        load_model(tmp_path, "Forecaster" if header["kind"] == "Forecaster" else "CharLM")
