"""rnnkit.io.tables: reading time-series files (CSV/Parquet) into a clean float64 frame."""

import bz2
import datetime
import gzip
import io
import json
import lzma
import re
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.io.tables import CleaningReport, read_series

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"  # read-only, not in the repo
SP500 = SHARED_DATA / "sp500" / "all_stocks_5yr.csv"
NYC_TAXI = SHARED_DATA / "nab" / "realKnownCause" / "nyc_taxi.csv"


def _csv(tmp_path, text: str, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _bytes(tmp_path, data: bytes, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_bytes(data)
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
                                    filled={"Close": 0, "Volume": 0}, leading_dropped=0,
                                    spacing="1D")


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
                                "filled": {"Open": 1, "Close": 2}, "leading_dropped": 2,
                                "spacing": "1D"}
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


def test_parquet_without_pyarrow_says_so(tmp_path, monkeypatch):
    path = tmp_path / "prices.parquet"
    pd.DataFrame({"Date": ["2020-01-01", "2020-01-02"], "Close": [1.0, 2.0]}).to_parquet(path)
    for engine in ("pyarrow", "pyarrow.parquet", "fastparquet"):  # as if not installed
        monkeypatch.setitem(sys.modules, engine, None)
    with pytest.raises(InputError, match="reading the Parquet file .*prices.parquet needs "
                                         r"pyarrow \(pip install pyarrow\); or save it as CSV$"):
        read_series(path)


@pytest.mark.parametrize("saved, index", [  # what pyarrow would hand back
    (pd.DataFrame({"Close": [2.0, 1.0]}, index=pd.DatetimeIndex(["2020-01-03", "2020-01-02"],
                                                                  name="date")),
     pd.DatetimeIndex(["2020-01-02", "2020-01-03"], name="date")),
    (pd.DataFrame({"Close": [2.0, 1.0]}, index=pd.DatetimeIndex(["2020-01-03", "2020-01-02"])),
     pd.DatetimeIndex(["2020-01-02", "2020-01-03"], name="date")),  # reset_index calls it index
    (pd.DataFrame({"timestamp": np.array([1577838600000, 1577836800000]), "Close": [2.0, 1.0]}),
     pd.DatetimeIndex(["2020-01-01 00:00", "2020-01-01 00:30"], name="date")),
    (pd.DataFrame({"Close": [2.0, 1.0]}, index=pd.Index([5, 3], name="step")),
     pd.Index([3, 5], dtype="int64", name="step")),
    (pd.DataFrame({"Day": [datetime.date(2020, 1, 3), datetime.date(2020, 1, 2)],
                   "Close": [2.0, 1.0]}),  # pyarrow's date32 comes back as date objects
     pd.DatetimeIndex(["2020-01-02", "2020-01-03"], name="date")),
])
def test_parquet_frames_and_their_time_index(tmp_path, monkeypatch, saved, index):
    path = _bytes(tmp_path, b"PAR1", "prices.parquet")
    monkeypatch.setattr(pd, "read_parquet", lambda _: saved.copy())
    frame, report = read_series(path)
    pd.testing.assert_index_equal(frame.index, index, exact=False)
    assert frame["Close"].tolist() == [1.0, 2.0]
    assert list(report.to_dict()) == ["rows_read", "duplicates_dropped", "filled",
                                      "leading_dropped", "spacing"]


# ---------------------------------------------------------------------------------------------
# separators and decimal marks


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_detected(tmp_path, sep):
    text = f"Date{sep}Open{sep}Close\n2020-01-02{sep}1.5{sep}2\n2020-01-03{sep}3{sep}4\n"
    frame, report = read_series(_csv(tmp_path, text))
    assert list(frame.columns) == ["Open", "Close"] and report.sep == sep
    np.testing.assert_array_equal(frame["Open"], [1.5, 3.0])


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = _csv(tmp_path, "Date;Close;Volume\n2020-01-01;12,5;100\n2020-01-02;13;-0,25\n")
    frame, report = read_series(path)
    np.testing.assert_array_equal(frame["Close"], [12.5, 13.0])
    np.testing.assert_array_equal(frame["Volume"], [100.0, -0.25])
    assert (report.sep, report.decimal) == (";", ",")
    assert report.to_dict()["sep"] == ";" and report.to_dict()["decimal"] == ","


def test_quoted_separators_do_not_fool_the_detection(tmp_path):
    path = _csv(tmp_path, 'Date,Note,Close\n2020-01-01,"a; b; c",1\n2020-01-02,"d;e",2\n')
    frame, report = read_series(path)
    assert report.sep == "," and frame["Close"].tolist() == [1.0, 2.0]


def test_explicit_sep_and_decimal_win(tmp_path):
    path = _csv(tmp_path, "Date;Close\n2020-01-01;12\n2020-01-02;12,5\n")
    with pytest.raises(InputError) as info:
        read_series(path, decimal=".")
    assert str(info.value) == f"{path} line 3: 'Close' is '12,5'"
    with pytest.raises(InputError, match=r"is not a readable CSV file: .*line 3, saw 2$"):
        read_series(path, sep=",")  # one column 'Date;Close', then a row of two
    frame, _ = read_series(_csv(tmp_path, 'Date,Close\n2020-01-01,"12,5"\n'), decimal=",")
    assert frame["Close"].tolist() == [12.5]
    with pytest.raises(InputError, match=r"^sep must be one character"):
        read_series(path, sep=";;")
    with pytest.raises(InputError, match=r"^decimal must be one of '\.', ','"):
        read_series(path, decimal=";")


def test_with_decimal_comma_a_point_or_text_is_still_an_error(tmp_path):
    rows = [f"2020-01-{d:02d};{d},5" for d in range(1, 21)]
    rows[15] = "2020-01-16;n/a"
    path = _csv(tmp_path, "Date;Close\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as info:
        read_series(path)
    assert str(info.value) == f"{path} line 17: 'Close' is 'n/a'"
    rows[15] = "2020-01-16;1.5"  # '.' is no decimal mark in a decimal-comma file
    path = _csv(tmp_path, "Date;Close\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"line 17: 'Close' is '1\.5'$"):
        read_series(path)


def test_header_names_are_trimmed(tmp_path):
    path = _csv(tmp_path, " Date , Close ,Open\n2020-01-01, 1 ,2\n")
    frame, _ = read_series(path, columns=["Close"])
    assert list(frame.columns) == ["Close"] and frame["Close"].tolist() == [1.0]
    with pytest.raises(InputError, match="the header has two columns named 'Close'"):
        read_series(_csv(tmp_path, "Date,Close, Close\n2020-01-01,1,2\n"))


def test_crlf_and_quoted_fields(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes(b'"Date","Close","Note"\r\n"2020-01-01","1","x, y"\r\n\r\n'
                     b'"2020-01-02","2",""\r\n')
    frame, report = read_series(path)
    assert frame["Close"].tolist() == [1.0, 2.0] and report.rows_read == 2


# ---------------------------------------------------------------------------------------------
# encodings and compression

TEXT = "Date,Close\n2020-01-01,1.5\n2020-01-02,2.5\n"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
    (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
])
def test_utf8_and_utf16_with_a_bom_are_decoded(tmp_path, data, encoding):
    frame, report = read_series(_bytes(tmp_path, data))
    assert list(frame.columns) == ["Close"] and frame["Close"].tolist() == [1.5, 2.5]
    assert report.encoding == encoding


@pytest.mark.parametrize("data, why", [
    ("Date,Café\n2020-01-01,1\n".encode("latin-1"), "byte 8 is not UTF-8"),
    (TEXT.encode("utf-16-le"), "byte 1 is NUL, as in binary files and UTF-16 without a BOM"),
    (b"\xff\xfe" + TEXT.encode("utf-16-le")[:-1], "is not UTF-16-LE"),
])
def test_other_encodings_are_refused_naming_those_read(tmp_path, data, why):
    path = _bytes(tmp_path, data)
    with pytest.raises(InputError) as info:
        read_series(path)
    assert str(info.value).startswith(f"{path}: cannot decode it (")
    assert why in str(info.value)
    assert str(info.value).endswith("rnnkit reads UTF-8 (with or without a BOM) and UTF-16 "
                                    "with a BOM")


@pytest.mark.parametrize("name", ["prices.csv.gz", "prices.csv"])  # by suffix, by magic bytes
def test_gzip_is_decompressed(tmp_path, name):
    frame, report = read_series(_bytes(tmp_path, gzip.compress(TEXT.encode()), name))
    assert frame["Close"].tolist() == [1.5, 2.5] and report.compression == "gzip"
    assert report.to_dict()["compression"] == "gzip"


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("prices.csv", text)
    return buffer.getvalue()


def _tar_gz(text: str) -> bytes:
    buffer, data = io.BytesIO(), text.encode()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("prices.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("data, name, message", [
    (_zip(TEXT), "prices.zip", "is a zip archive: extract the CSV first"),
    (bz2.compress(TEXT.encode()), "prices.csv.bz2",
     "is bzip2-compressed: decompress it first (bunzip2), or gzip it"),
    (lzma.compress(TEXT.encode()), "prices.csv.xz",
     "is xz-compressed: decompress it first (unxz), or gzip it"),
    (_tar_gz(TEXT), "prices.csv.gz", "is a tar archive: extract the CSV first"),
    (TEXT.encode(), "prices.csv.gz", "is not a readable gzip file"),
])
def test_archives_are_refused_with_a_hint(tmp_path, data, name, message):
    path = _bytes(tmp_path, data, name)
    with pytest.raises(InputError, match=re.escape(f"{path} {message}")):
        read_series(path)


# ---------------------------------------------------------------------------------------------
# the time index


@pytest.mark.parametrize("first, second", [
    ("1577836800", "1577838600"),  # epoch seconds
    ("1577836800000", "1577838600000"),  # epoch milliseconds
])
def test_epoch_integers_become_dates(tmp_path, first, second):
    frame, _ = read_series(_csv(tmp_path, f"timestamp,value\n{second},2\n{first},1\n"))
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "date"
    assert list(frame.index) == [pd.Timestamp("2020-01-01 00:00"),
                                 pd.Timestamp("2020-01-01 00:30")]
    assert frame["value"].tolist() == [1.0, 2.0]


def test_other_integers_are_steps_sorted_and_missing_steps_interpolated(tmp_path):
    path = _csv(tmp_path, "t,x,y\n3,1,\n1,2,5\n2,,6\n7,4,\n3,9,8\n")
    with pytest.warns(UserWarning, match="dropped 1 rows whose step appears again later"):
        frame, report = read_series(path)
    assert frame.index.dtype == np.int64 and frame.index.name == "step"
    assert list(frame.index) == [1, 2, 3, 4, 5, 6, 7]  # 4, 5, 6 inserted, between 3 and 7
    assert frame["x"].tolist() == [2.0, 2.0, 9.0, 7.75, 6.5, 5.25, 4.0]
    assert frame["y"].tolist() == [5, 6, 8, 8, 8, 8, 8]
    assert report.filled == {"x": 1, "y": 1} and report.duplicates_dropped == 1
    assert (report.inserted, report.spacing) == (3, "1 step")


def test_yyyymmdd_integers_stay_dates_except_in_a_step_column(tmp_path):
    frame, _ = read_series(_csv(tmp_path, "Date,Close\n20200102,1\n20200103,2\n"))
    assert frame.index[0] == pd.Timestamp("2020-01-02")
    frame, _ = read_series(_csv(tmp_path, "step,Close\n20200102,1\n20200103,2\n"))
    assert frame.index.name == "step" and frame.index[0] == 20200102


def test_an_empty_step_names_its_line(tmp_path):
    path = _csv(tmp_path, "step,value\n1,1\n,2\n3,3\n")
    with pytest.raises(InputError, match=r"line 3: 'step' is empty$"):
        read_series(path)


@pytest.mark.parametrize("header, body, values", [
    ("ds,y", "2020-01-02,1\n", ["y"]), ("Period,y", "2020-01-02,1\n", ["y"]),
    ("index,Date,y", "0,2020-01-02,1\n", ["index", "y"]),  # the four old names win
])
def test_the_new_time_names_are_found(tmp_path, header, body, values):
    frame, _ = read_series(_csv(tmp_path, f"{header}\n{body}"))
    assert frame.index[0] == pd.Timestamp("2020-01-02") and list(frame.columns) == values


# ---------------------------------------------------------------------------------------------
# long format and repeated rows

LONG = ("Date,Close,Name\n2013-02-08,1,A\n2013-02-08,2,B\n2013-02-11,3,A\n2013-02-11,4,B\n"
        "2013-02-12,5, B \n")


def test_long_format_without_id_column_is_refused_naming_it(tmp_path):
    path = _csv(tmp_path, LONG)
    with pytest.raises(InputError) as info:
        read_series(path)
    assert str(info.value) == (f"{path}: dates repeat (2013-02-08 on lines 2 and 3): this looks "
                               "like a long-format file with one series per 'Name'; pass "
                               "`id_column` Name and `series` <one of 2, e.g. B>")


def test_one_series_of_a_long_file(tmp_path):
    frame, report = read_series(_csv(tmp_path, LONG), id_column="Name", series="B")
    assert list(frame.columns) == ["Close"] and frame["Close"].tolist() == [2.0, 4.0, 5.0]
    assert report.series == "B" and report.rows_read == 3
    assert json.loads(json.dumps(report.to_dict()))["series"] == "B"


def test_a_numeric_id_column_is_never_a_value_column(tmp_path):
    path = _csv(tmp_path, "Date,id,Close\n2020-01-01,7,1\n2020-01-01,8,2\n2020-01-02,7,3\n")
    frame, _ = read_series(path, id_column="id", series="7")
    assert list(frame.columns) == ["Close"] and frame["Close"].tolist() == [1.0, 3.0]
    with pytest.raises(InputError, match="'id' is the id column, not a value column"):
        read_series(path, columns=["id", "Close"], id_column="id", series="7")


def test_id_column_and_series_errors(tmp_path):
    path = _csv(tmp_path, LONG)
    with pytest.raises(InputError) as info:
        read_series(path, id_column="Name")
    assert str(info.value) == ("`id_column` Name without `series`: pick one series with "
                               "`series` (2 in the file, e.g. B); forecasting every series at "
                               "once needs a global model")
    with pytest.raises(InputError) as info:
        read_series(path, id_column="Name", series="XYZ")
    assert str(info.value) == f"{path}: no series 'XYZ' in column 'Name' (2 series, 'A', 'B')"
    with pytest.raises(InputError, match=re.escape(f"{path} has no column 'Ticker'; available: "
                                                   "'Date', 'Close', 'Name'")):
        read_series(path, id_column="Ticker", series="A")
    with pytest.raises(InputError, match="^`series` A without `id_column`"):
        read_series(path, series="A")
    with pytest.raises(InputError, match="the id column 'Note' is empty in every row"):
        read_series(_csv(tmp_path, "Date,Close,Note\n2020-01-01,1,\n"), id_column="Note",
                    series="A")


def test_an_unknown_series_lists_five_ids(tmp_path):
    rows = "".join(f"2020-01-01,{k},S{k}\n" for k in range(9, 0, -1))
    path = _csv(tmp_path, "Date,Close,Name\n" + rows)
    with pytest.raises(InputError, match=re.escape("(9 series, e.g. 'S1', 'S2', 'S3', 'S4', "
                                                   "'S5', ...)")):
        read_series(path, id_column="Name", series="S0")


def test_exact_duplicate_rows_are_dropped_with_a_warning(tmp_path):
    path = _csv(tmp_path, "Date,Close,Note\n2020-01-01,1,a\n2020-01-02,2,b\n2020-01-01,1,c\n")
    with pytest.warns(UserWarning, match="dropped 1 rows repeated exactly") as record:
        frame, report = read_series(path)
    assert len(record) == 1  # no date repeats after that, so no second warning
    assert frame["Close"].tolist() == [1.0, 2.0] and report.duplicates_dropped == 1


@pytest.mark.parametrize("notes", [
    ("a", "a", "b", "b"),  # the same note on the repeated date: not what tells rows apart
    ("late", "revised", "x", "y"),  # free text, one value a row: no series id
])
def test_repeated_dates_without_an_id_like_column_keep_the_last(tmp_path, notes):
    rows = zip(["2020-01-01", "2020-01-01", "2020-01-02", "2020-01-03"], range(1, 5), notes,
               strict=True)
    path = _csv(tmp_path, "Date,Close,Note\n" + "".join(f"{d},{v},{n}\n" for d, v, n in rows))
    with pytest.warns(UserWarning, match="dropped 1 rows whose date appears again later"):
        frame, report = read_series(path)
    assert frame["Close"].tolist() == [2.0, 3.0, 4.0] and report.duplicates_dropped == 1


def test_the_report_is_json_ready_and_plain_files_keep_the_old_keys(tmp_path):
    path = _bytes(tmp_path, gzip.compress(b"Date;Close\n2020-01-01;1,5\n"), "p.csv.gz")
    record = read_series(path)[1].to_dict()
    assert json.loads(json.dumps(record)) == {
        "rows_read": 1, "duplicates_dropped": 0, "filled": {"Close": 0}, "leading_dropped": 0,
        "sep": ";", "decimal": ",", "compression": "gzip"}
    report = read_series(_csv(tmp_path, TEXT))[1]
    assert list(report.to_dict()) == ["rows_read", "duplicates_dropped", "filled",
                                      "leading_dropped", "spacing"]


# ---------------------------------------------------------------------------------------------
# real files from the shared data folder (read-only; skipped where it is absent)


@pytest.mark.slow
@pytest.mark.skipif(not SP500.is_file(), reason=f"{SP500} not present")
def test_sp500_long_file():
    with pytest.raises(InputError, match=r"dates repeat \(2013-02-08 on lines 2 and \d+\): this "
                                         r"looks like a long-format file with one series per "
                                         r"'Name'; pass `id_column` Name and `series` <one of 505"):
        read_series(SP500)
    frame, report = read_series(SP500, id_column="Name", series="AAPL")
    assert len(frame) == 1259 and list(frame.columns) == ["open", "high", "low", "close",
                                                          "volume"]
    assert frame.index.is_monotonic_increasing and report.series == "AAPL"


@pytest.mark.skipif(not NYC_TAXI.is_file(), reason=f"{NYC_TAXI} not present")
def test_nab_nyc_taxi():
    frame, _ = read_series(NYC_TAXI)
    assert len(frame) == 10_320 and isinstance(frame.index, pd.DatetimeIndex)
    assert list(frame.columns) == ["value"]
    assert (frame.index.to_series().diff().iloc[1:] == pd.Timedelta(minutes=30)).all()


def test_read_panel_reads_every_series_once_each_cleaned_on_its_own(tmp_path):
    from rnnkit.io.tables import read_panel

    path = tmp_path / "long.csv"
    path.write_text("date,close,Name\n2020-01-02,1,A\n2020-01-02,10,B\n2020-01-01,0.5,A\n"
                    "2020-01-03,,A\n2020-01-01,9,B\n2020-01-03,11,C\n")
    panel = read_panel(path, id_column="Name")
    assert list(panel) == ["A", "B", "C"]  # the file's order
    frame, report = panel["A"]
    assert frame["close"].tolist() == [0.5, 1.0, 1.0]  # sorted, the gap filled from its own rows
    assert report.filled == {"close": 1} and report.series == "A"
    assert panel["B"][0]["close"].tolist() == [9.0, 10.0]
    assert list(read_panel(path, id_column="Name", series=["C", "A"])) == ["C", "A"]
    with pytest.raises(InputError, match="no series 'Z' in column 'Name'"):
        read_panel(path, id_column="Name", series=["Z"])


# ---------------------------------------------------------------------------------------------
# Parquet: the same table as Parquet reads as the CSV reads. pyarrow is in the test extra,
# so without it these fail (ImportError), never skip.

PRICES_CSV = ("Date,Close,Volume\n2020-01-03,11,200\n2020-01-02,10.5,100\n2020-01-06,,300\n"
              "2020-01-07,12,400\n2020-01-08,12.5,500\n")  # unsorted, with a gap to fill


def _counts(report: CleaningReport) -> tuple:
    return (report.rows_read, report.duplicates_dropped, report.filled,
            report.leading_dropped, report.series)


@pytest.mark.parametrize("stored", ["text dates", "datetime column", "time index"])
def test_a_parquet_file_reads_as_the_csv_reads(tmp_path, stored):
    csv = _csv(tmp_path, PRICES_CSV)
    table = pd.read_csv(csv)  # Close float64 with a NaN, Volume int64, Date text
    if stored != "text dates":
        table["Date"] = pd.to_datetime(table["Date"])
    if stored == "time index":
        table = table.set_index("Date")
    table.to_parquet(tmp_path / "prices.parquet", index=stored == "time index")
    expected, expected_report = read_series(csv)
    frame, report = read_series(tmp_path / "prices.parquet")
    pd.testing.assert_frame_equal(frame, expected)
    assert _counts(report) == _counts(expected_report)
    assert report.filled == {"Close": 1, "Volume": 0}  # the gap, filled from 2020-01-03


def test_parquet_integer_steps_and_long_format_read_as_the_csv(tmp_path):
    steps = _csv(tmp_path, "step,value\n3,1.5\n1,2.5\n2,3.5\n", "steps.csv")
    pd.read_csv(steps).to_parquet(tmp_path / "steps.pq", index=False)
    expected, _ = read_series(steps)
    frame, _ = read_series(tmp_path / "steps.pq")
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.index.name == "step" and frame.index.tolist() == [1, 2, 3]
    long = _csv(tmp_path, "date,close,Name\n2020-01-02,1,A\n2020-01-02,10,B\n2020-01-01,0.5,A\n"
                "2020-01-01,9,B\n", "long.csv")
    pd.read_csv(long).to_parquet(tmp_path / "long.parquet", index=False)
    for path in (long, tmp_path / "long.parquet"):
        with pytest.raises(InputError, match="long-format file with one series per 'Name'"):
            read_series(path)
    expected, expected_report = read_series(long, id_column="Name", series="B")
    frame, report = read_series(tmp_path / "long.parquet", id_column="Name", series="B")
    pd.testing.assert_frame_equal(frame, expected)
    assert _counts(report) == _counts(expected_report)


def test_load_series_gives_forecast_the_same_parquet_frame(tmp_path):
    """What `rnnkit forecast --data prices.parquet` trains on is what it reads from the CSV."""
    from rnnkit.io.sources import load_series

    csv = _csv(tmp_path, PRICES_CSV)
    pd.read_csv(csv).to_parquet(tmp_path / "prices.parquet", index=False)
    expected, csv_record = load_series(str(csv), ["Close"])
    frame, record = load_series(str(tmp_path / "prices.parquet"), ["Close"])
    pd.testing.assert_frame_equal(frame, expected)
    assert record["cleaning"]["filled"] == csv_record["cleaning"]["filled"] == {"Close": 1}
