"""Hostile input: every file of the generated corpus (tests/hostile.py) gets one line or a result.

The CLI answers each input with exactly one line on stderr, ``rnnkit: error: ...``, and exit
code 2, or, where the file is usable after cleaning, with a forecast (exit 0, metrics.json).
Hypothesis then feeds the readers and the window builder arbitrary input: nothing they raise is
anything but an InputError. Runs go through ``cli.main`` in-process (one subprocess checks the
real stderr).
"""

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from hostile import Case, write_hostile
from rnnkit._checks import InputError
from rnnkit.cli.app import main
from rnnkit.forecast.windows import chronological_split, input_windows, make_windows, window_parts
from rnnkit.io.files import RESULTS, RUN_MARKER, prepare_out
from rnnkit.io.sources import load_corpus, load_series
from rnnkit.io.static import read_static
from rnnkit.io.streams import read_stream
from rnnkit.io.tables import read_panel, read_series

ROOT = os.geteuid() == 0  # root reads and writes whatever its mode says
NEEDS_PERMISSIONS = pytest.mark.skipif(ROOT, reason="root ignores file permissions")
OK = "forecast written"
# what `rnnkit forecast --data FILE` does with each table: OK, or a pattern of its one line
FORECAST = {
    "clean.csv": OK, "unsorted_dates.csv": OK, "duplicate_dates.csv": OK,
    "duplicate_rows.csv": OK, "thousands.csv": OK, "thousands_semicolon.csv": OK,
    "empty_cells.csv": OK, "empty_other_column.csv": OK, "negative_and_zero.csv": OK,
    "far_dates.csv": OK, "utf8_bom.csv": OK, "utf16_bom.csv": OK, "semicolons.csv": OK,
    "tabs.tsv": OK, "gzipped.csv.gz": OK,
    "empty.csv": "empty.csv is empty$",
    "blank.csv": "blank.csv has no data rows$",
    "header_only.csv": "header_only.csv has no data rows$",
    "one_row.csv": "rows",  # the next three: the forecaster's own checks, in its words
    "too_few_rows.csv": "lookback=20",
    "no_date_column.csv": "has no date column: .* pass ",
    "no_numeric_column.csv": "has no numeric column besides the dates in 'Date': 'Name' holds "
                             "'AAPL' on line 2, not a number$",
    "mixed_date_formats.csv": "line 3: 'Date' is '01/02/2020', a date in another format than "
                              "'2020-01-01' on line 2: write every date in one format$",
    "na_strings.csv": "line 7: 'Close' is 'N/A'$",
    "nan_strings.csv": "line 7: 'Close' is 'NaN'$",
    "currency.csv": r"no numeric column besides the dates in 'Date': 'Close' holds '\$100.13' "
                    "on line 2, not a number$",
    "empty_target.csv": OK,  # Close is empty: Open is the only numeric column
    "infinities.csv": "line 22: 'Close' is 'inf'$",
    "huge_values.csv": r"line 2: 'Close' is '1.0013e\+300', beyond ±1e\+150, whose square "
                       "float64 cannot hold: rescale the column$",
    "constant.csv": "constant",
    "ragged.csv": "is not a readable CSV file: .*Expected 2 fields in line 9, saw 4$",
    "unbalanced_quote.csv": "is not a readable CSV file: .*EOF inside string",
    "duplicate_header.csv": "the header has two columns named 'Close'$",
    "utf16_no_bom.csv": r"cannot decode it \(byte 1 is NUL, as in binary files and UTF-16 "
                        "without a BOM\\)",
    "latin1.csv": r"cannot decode it \(byte 7 is not UTF-8\)",
    "corrupt.csv.gz": "is not a readable gzip file",
    "excel.xlsx": r"is an Excel workbook \(.xlsx\): open it in Excel or LibreOffice and save "
                  r"the sheet as CSV \(UTF-8\)$",
    "excel.xls": r"is an Excel 97-2003 workbook \(.xls\) or another OLE2 document: open it",
    "binary.bin": r"cannot decode it \(byte 0 is not UTF-8\)",
    "not_parquet.parquet": "is not a readable Parquet file",
    "directory": "directory is a folder, not a file$",
    "missing.csv": "missing.csv: no such file$",
    "unreadable.csv": r"unreadable.csv: cannot read it \(Permission denied\)$",
}
# what `rnnkit esn --data FILE` does: the readers refuse what they refuse for forecast, and
# the reservoir's own checks refuse the two tables too short for it
ESN = FORECAST | {"one_row.csv": "leaves no training or no held-out values of the 1",
                  "too_few_rows.csv": r"washout \(100\) must be shorter than the sequences"}
# usable files that read exactly as clean.csv: a forecast of them is clean.csv's forecast
READ_AS_CLEAN = ["unsorted_dates.csv", "duplicate_rows.csv", "utf8_bom.csv", "utf16_bom.csv",
                 "semicolons.csv", "tabs.tsv", "gzipped.csv.gz", "empty_other_column.csv"]
QUICK = {"forecast": ["--epochs", "1", "--hidden-size", "8", "--lookback", "20", "--loss", "mse",
                      "--no-figures"],
         "esn": ["--units", "50",
                                                                      "--no-select"]}
SCORES = ("model", "naive", "drift")  # of a forecast
TEXT = {  # what `rnnkit text train --corpus FILE` does with each corpus
    "corpus_utf16.txt": OK, "corpus_utf8_bom.txt": OK, "corpus_one_symbol.txt": OK,
    "corpus_empty.txt": "corpus_empty.txt is empty$",
    "corpus_one_char.txt": "1 characters are too few",
    "corpus_binary.bin": r"looks binary \(it has NUL bytes\), not text$",
    "corpus_latin1.txt": r"is not UTF-8 text \(byte 3\)$",
    "corpus_zip.zip": "is a zip archive: extract the text first$",
    "corpus_directory": "directory is a folder, not a file$",
    "corpus_unreadable.txt": r"corpus_unreadable.txt: cannot read it \(Permission denied\)$",
}
TEXT_FLAGS = ["--steps", "2", "--batch-size", "4", "--seq-len", "16", "--hidden-size", "8",
              "--sample-length", "8"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Case]:
    return {case.name: case for case in write_hostile(tmp_path_factory.mktemp("hostile"))}


def test_the_corpus_has_an_expected_outcome_for_every_case(corpus):
    assert {c.name for c in corpus.values() if c.flag == "--data"} == set(FORECAST)
    assert {c.name for c in corpus.values() if c.flag == "--corpus"} == set(TEXT)


def _answer(argv: list[str], capsys) -> tuple[int, str]:
    """main's exit code and its stderr, checked to be one error line when the code is 2."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cleaning warnings of usable files
        code = main([*argv, "--no-progress", "--threads", "1"])
    err = capsys.readouterr().err
    if code != 0:
        assert code == 2 and err.startswith("rnnkit: error: ") and err.count("\n") == 1, err
    return code, err.removeprefix("rnnkit: error: ").rstrip("\n")


def _written_by_rnnkit(out: Path) -> None:
    """Every file of a run is one prepare_out knows (and removes when the next run starts)."""
    names = {p.name for p in out.iterdir()}
    assert names <= {*RESULTS, "model", "checkpoints", RUN_MARKER}, names - set(RESULTS)


def _check(expected: str, code: int, message: str, out: Path) -> dict | None:
    """Check the answer against ``expected``; return the run's metrics when it is OK."""
    if expected == OK:
        assert code == 0, message
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics
        _written_by_rnnkit(out)
        return metrics
    else:
        assert code == 2 and re.search(expected, message), message
        assert "Traceback" not in message


@pytest.fixture(scope="module")
def clean_scores(corpus, tmp_path_factory) -> dict:
    """The scores of a forecast of clean.csv."""
    out = tmp_path_factory.mktemp("clean")
    assert main(["forecast", "--data", str(corpus["clean.csv"].path), *QUICK["forecast"],
                 "--no-progress", "--threads", "1", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    return {key: metrics[key] for key in SCORES}


EXPECTED = {"forecast": FORECAST, "esn": ESN}
# esn reads through forecast's reader: of the files that read as clean.csv, forecast's runs
# show the reading, and esn on the same values is clean.csv's run again
TABLE_RUNS = [("forecast", name) for name in sorted(FORECAST)] + [
    ("esn", name) for name in sorted(ESN) if name not in READ_AS_CLEAN]


@pytest.mark.parametrize("command, name", TABLE_RUNS)
def test_every_table_gets_one_line_or_the_result_of_what_it_holds(corpus, clean_scores,
                                                                   command, name, tmp_path,
                                                                   capsys):
    """A usable file gives a result, the clean file's where it holds the clean file's values;
    only an unusable one gets a refusal, in one line that says why."""
    if ROOT and name == "unreadable.csv":
        pytest.skip("root ignores file permissions")
    out = tmp_path / "out"
    code, message = _answer([command, "--data", str(corpus[name].path), *QUICK[command],
                             "--out", str(out)], capsys)
    metrics = _check(EXPECTED[command][name], code, message, out)
    if name in READ_AS_CLEAN:  # forecast's runs only
        assert {key: metrics[key] for key in SCORES} == clean_scores


@pytest.mark.parametrize("name", sorted(TEXT))
def test_text_train_answers_every_corpus_with_one_line_or_a_model(corpus, name, tmp_path,
                                                                   capsys):
    if ROOT and name == "corpus_unreadable.txt":
        pytest.skip("root ignores file permissions")
    case, out = corpus[name], tmp_path / "out"
    code, message = _answer(["text", "train", "--corpus", str(case.path), *TEXT_FLAGS,
                             "--out", str(out)], capsys)
    _check(TEXT[name], code, message, out)


@pytest.mark.slow  # a real process: what a shell sees on stderr, warnings and all
def test_a_real_run_prints_one_line_and_no_traceback(corpus, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rnnkit", "forecast", "--data", str(corpus["excel.xlsx"].path),
         "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        f"rnnkit: error: {corpus['excel.xlsx'].path} is an Excel workbook (.xlsx)")


# -- what cleaning makes of the usable files ------------------------------------------------------
def _close(corpus, name: str, **options) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_series(corpus[name].path, columns=["Close"], **options)[0]["Close"]


@pytest.mark.parametrize("name", sorted(FORECAST))
def test_the_stream_reader_answers_every_file_with_its_rows_or_one_line(corpus, name):
    """`rnnkit detect` reads files row by row as they arrived: a stream or an InputError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            stream = read_stream(corpus[name].path)
        except InputError as err:
            assert str(err) and "\n" not in str(err)
            return
    assert len(stream.values) == len(stream.timestamps) == len(stream.time) > 0
    assert np.isfinite(stream.values).all()


@pytest.mark.parametrize("name", READ_AS_CLEAN)
def test_usable_files_read_as_the_clean_file(corpus, name):
    pd.testing.assert_series_equal(_close(corpus, name), _close(corpus, "clean.csv"))


def test_thousands_marks_repeats_and_gaps_are_cleaned_as_a_user_expects(corpus):
    clean = _close(corpus, "clean.csv")
    for name in ("thousands.csv", "thousands_semicolon.csv"):  # 1,001.3 and 1.001,3
        np.testing.assert_allclose(_close(corpus, name), (clean * 10).round(1), rtol=1e-12)
        report = read_series(corpus[name].path)[1].to_dict()
        assert report["thousands"] == ("," if name == "thousands.csv" else ".")
    repeated = _close(corpus, "duplicate_dates.csv")  # the later row of a date wins
    np.testing.assert_allclose(repeated.iloc[100:110], clean.iloc[100:110] + 1)
    pd.testing.assert_series_equal(repeated.drop(repeated.index[100:110]),
                                   clean.drop(clean.index[100:110]))
    gaps = _close(corpus, "empty_cells.csv")  # the first row has nothing to fill from
    assert gaps.index[0] == clean.index[1] and len(gaps) == len(clean) - 1
    assert gaps.iloc[9] == gaps.iloc[10] == clean.iloc[9] and gaps.iloc[69] == clean.iloc[69]
    assert _close(corpus, "far_dates.csv").index[-1] == pd.Timestamp(f"{2300 + 299}-01-01")


def test_times_in_iso_8601_variants_and_utc_offsets_are_read(tmp_path):
    summer = pd.date_range("2020-03-28", periods=48, freq="h", tz="Europe/Berlin")  # +01, +02
    path = tmp_path / "dst.csv"
    path.write_text("time,load\n" + "".join(f"{t.isoformat()},{k}\n"
                                            for k, t in enumerate(summer)))
    frame, _ = read_series(path)
    assert (frame.index == summer.tz_convert("UTC")).all()  # the same instants, in UTC
    path.write_text("Date,Close\n2020-01-01,1\n2020-01-01 10:00,2\n2020-01-02T09:30:00,3\n")
    assert read_series(path, gaps="keep")[0].index[1] == pd.Timestamp("2020-01-01 10:00")
    with pytest.raises(InputError, match="irregular .* pass `gaps` keep"):
        read_series(path)  # 10 h, then 23.5 h: event times, not one spacing
    path.write_text("time,v\n2020-01-01T00:00+01:00,1\n2020-01-02T00:00,2\n")
    with pytest.raises(InputError, match="line 3: 'time' is '2020-01-02T00:00', a date in "
                                         "another format"):
        read_series(path)


def test_parquet_time_columns_that_are_neither_dates_nor_steps(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame({"t": np.arange(5) / 2, "v": np.arange(5.0)}).to_parquet(path)
    with pytest.raises(InputError, match="the time column 't' holds float64 values"):
        read_series(path)
    pd.DataFrame({"t": np.arange(5.0), "v": [1.0, np.inf, 2, 3, 4]}).to_parquet(path)
    with pytest.raises(InputError, match="row 2: 'v' is inf$"):
        read_series(path)  # whole floats are steps; a value shows as itself, not np.float64
    path.write_bytes(b"PAR1" + bytes(8) + b"PAR1")
    with pytest.raises(InputError, match="is not a readable Parquet file"):
        read_series(path)
    renamed = tmp_path / "a.csv"
    renamed.write_bytes(b"PAR1" + bytes(8) + b"PAR1")
    with pytest.raises(InputError, match="is a Parquet file: .*: name it .parquet"):
        read_series(renamed)


# -- files and folders the user may not read or write ---------------------------------------------
@NEEDS_PERMISSIONS
def test_an_unwritable_out_folder_is_one_line(corpus, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    for out in (locked, locked / "sub"):
        code, message = _answer(["forecast", "--data", str(corpus["clean.csv"].path),
                                 "--epochs", "1", "--out", str(out)], capsys)
        assert code == 2 and message == f"--out: cannot write to {out}: Permission denied"


def test_permission_errors_are_input_errors_as_root_too(corpus, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError, match=r"clean.csv: cannot read it \(Permission denied\)$"):
        read_series(corpus["clean.csv"].path)
    for reader, parameter in ((load_corpus, "`corpus`"), (read_static, "`static`")):
        with pytest.raises(InputError, match=rf"^{parameter}: .*: cannot read it \(Permission "
                                             r"denied\)$"):
            reader(str(corpus["clean.csv"].path))
    monkeypatch.undo()
    monkeypatch.setattr(Path, "write_text", refuse)
    with pytest.raises(InputError, match="^`out`: cannot write to .*: Permission denied$"):
        prepare_out(tmp_path / "out")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(InputError, match="^`out`: .*file is a file, not a folder$"):
        prepare_out(tmp_path / "file")


# -- rerunning into an output folder -------------------------------------------------------------
def _long_file(path: Path) -> Path:
    dates = pd.bdate_range("2020-01-01", periods=120)
    rows = [f"{d.date()},{name},{100 + k + np.sin(i):.3f}" for k, name in enumerate("ABC")
            for i, d in enumerate(dates)]
    path.write_text("Date,Name,Close\n" + "\n".join(rows) + "\n")
    return path


def test_a_rerun_replaces_the_results_and_keeps_what_rnnkit_did_not_write(corpus, tmp_path,
                                                                         capsys):
    out, fast = tmp_path / "run", ["--epochs", "1", "--lookback", "10", "--hidden-size", "8"]
    (out / "checkpoints").mkdir(parents=True)  # as if written by an earlier run
    (out / "notes.txt").write_text("mine")
    (out / "prediction.png").write_text("mine too, there before any run")
    long = _long_file(tmp_path / "long.csv")
    code, _ = _answer(["forecast", "--data", str(long), "--id-column", "Name", "--ensemble",
                       "1", *fast, "--out", str(out)], capsys)
    assert code == 0 and (out / "per_series.csv").is_file() and (out / RUN_MARKER).is_file()
    assert {p.name for p in out.iterdir()} - {"notes.txt"} <= {*RESULTS, "model", "checkpoints",
                                                             RUN_MARKER}
    many = (out / "metrics.json").read_text()
    code, _ = _answer(["forecast", "--data", str(corpus["excel.xlsx"].path), *fast, "--out",
                       str(out)], capsys)  # fails before writing: the results stay as they are
    assert code == 2 and (out / "metrics.json").read_text() == many
    code, _ = _answer(["forecast", "--data", str(corpus["clean.csv"].path), *fast, "--out",
                       str(out)], capsys)
    assert code == 0 and json.loads((out / "metrics.json").read_text())["data"]["source"] == str(
        corpus["clean.csv"].path)
    assert not (out / "per_series.csv").exists() and not (out / "error_by_step.png").exists()
    assert (out / "notes.txt").read_text() == "mine" and (out / "checkpoints").is_dir()
    assert not (out / "series.png").exists()  # the many-series run's figure
    assert (out / "prediction.png").read_text() == "mine too, there before any run"
    code, _ = _answer(["esn", "--data", str(corpus["clean.csv"].path), "--units", "50",
                       "--no-select", "--out", str(out)], capsys)
    assert code == 0 and not (out / "forecast.png").exists() and not (out / "future.csv").exists()


def test_prepare_out_removes_only_the_last_runs_results(tmp_path):
    out = prepare_out(tmp_path / "run")
    since = (out / RUN_MARKER).stat().st_mtime_ns
    (out / "model").mkdir()
    for name in ("metrics.json", "per_series.csv", "model/config.json", "model/weights.safetensors",
                 "notes.txt", "trials.csv", "study.db"):
        (out / name).write_text("x")
    os.utime(out / "trials.csv", ns=(since - 10**9, since - 10**9))  # there before the run
    prepare_out(out)
    assert sorted(p.name for p in out.iterdir()) == [RUN_MARKER, "notes.txt", "study.db",
                                                     "trials.csv"]


# -- hypothesis: arbitrary files into the readers --------------------------------------------------
CELLS = st.one_of(st.sampled_from([
    "2020-01-01", "2020-01-02", "01/02/2020", "Jan 5 2020", "2020-01-01T00:00+01:00",
    "2020-06-01T00:00+02:00", "9999-12-31", "1577836800", "20200131", "2020", "1", "-1",
    "1.5", "12,5", "1,234.5", "1.234,5", "N/A", "", " ", "inf", "1e300", "1e400", "$12", "H1",
    "True", '"', "9" * 25, "0x10", "١٢", "2020-02-30"]), st.text(max_size=5))
NAMES = st.sampled_from(["Date", "Close", "t", "step", "timestamp", "Name", "V1", "V2", "",
                         "Close", "é", "1", "2020-01-01"])


@st.composite
def tables(draw) -> bytes:
    sep, width = draw(st.sampled_from([",", ";", "\t", "|"])), draw(st.integers(1, 4))
    rows = [[draw(NAMES) for _ in range(width)]] + [
        [draw(CELLS) for _ in range(draw(st.integers(max(width - 1, 0), width + 1)))]
        for _ in range(draw(st.integers(0, 8)))]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(sep.join(r) for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le"]))
    data = text.encode(encoding)
    return gzip.compress(data, mtime=0) if draw(st.booleans()) else data


def _only_input_errors(read, *args, **kwargs) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read(*args, **kwargs)
    except InputError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(tables(), st.binary(max_size=64)),
       suffix=st.sampled_from([".csv", ".csv.gz", ".parquet"]),
       options=st.sampled_from([{}, {"date_column": "Date"}, {"columns": ["Close"]},
                                {"id_column": "Name", "series": "A"}, {"decimal": ","}]))
def test_fuzz_the_readers_raise_only_input_errors(data, suffix, options):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"data{suffix}"
        path.write_bytes(data)
        _only_input_errors(read_series, path, **options)
        _only_input_errors(read_panel, path, id_column="Name")
        for read in (read_static, load_corpus):
            _only_input_errors(read, str(path))
        _only_input_errors(load_series, str(path), format="m4")


# -- hypothesis: arbitrary arrays and sizes into the window builder -------------------------------
SIZES = st.one_of(st.integers(-2, 12), st.just(10**20))
VALUES = arrays(np.float64, array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7),
                elements=st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=200, deadline=None)
@given(features=VALUES, targets=VALUES, lookback=SIZES, horizon=SIZES)
def test_fuzz_the_window_builder_raises_only_input_errors(features, targets, lookback,
                                                          horizon):
    try:
        X, Y = make_windows(features, targets, lookback, horizon)
    except InputError:
        pass
    else:  # what it returns is what its docstring says
        n_windows = len(features) - lookback - horizon + 1
        assert X.shape == (n_windows, lookback, features.shape[1])
        assert Y.shape == (n_windows, horizon)
        np.testing.assert_array_equal(X[-1], features[n_windows - 1:n_windows - 1 + lookback])
    try:
        windows = input_windows(features, lookback)
    except InputError:
        pass
    else:
        assert windows.shape == (len(features) - lookback + 1, lookback, features.shape[1])


@settings(max_examples=200, deadline=None)
@given(n_rows=st.integers(-2, 400), test_fraction=st.floats(-0.5, 1.5),
       val_fraction=st.floats(-0.5, 1.5), lookback=SIZES, horizon=SIZES)
def test_fuzz_splits_and_their_windows_raise_only_input_errors(n_rows, test_fraction,
                                                               val_fraction, lookback, horizon):
    try:
        split = chronological_split(n_rows, test_fraction, val_fraction)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a validation part too short for a window
            parts = window_parts(split, lookback, horizon)
    except InputError:
        return
    ends = {"fit": split.fit_end, "val": split.train_end, "test": split.n_rows}
    for name, part in parts.items():  # every window's targets lie inside its part
        assert part.start <= part.stop and (part.stop == part.start
                                            or part.stop - 1 + lookback + horizon <= ends[name])


def test_a_nan_fraction_is_an_input_error():
    with pytest.raises(InputError, match="test_fraction"):
        chronological_split(100, float("nan"))
