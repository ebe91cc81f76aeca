"""Dates as people write them: a format given, day first or month first decided from the data.

Each file style is read against the same series written in ISO 8601; the rules are the Notes
of :func:`rnnkit.io.tables.read_series`.
"""

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.cli import main
from rnnkit.io.parsing import day_month_formats, read_dates
from rnnkit.io.tables import read_series

DAYS = pd.date_range("2022-01-01", periods=40, freq="D", name="date")  # days 1..31, then 1..9
VALUES = np.round(1000 + 250 * np.sin(np.arange(len(DAYS)) / 3), 2)


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _table(times: pd.DatetimeIndex, write, header: str = "Date,Close", sep: str = ",",
           decimal: str = ".") -> str:
    """The series as CSV text, each time written by ``write`` (a strftime format or a
    function of the timestamp)."""
    def when(t: pd.Timestamp) -> str:
        return t.strftime(write) if isinstance(write, str) else write(t)
    return header + "\n" + "".join(f"{when(t)}{sep}{f'{v:.2f}'.replace('.', decimal)}\n"
                                   for t, v in zip(times, VALUES, strict=True))


def _german(times: pd.DatetimeIndex, values: np.ndarray) -> str:
    """A German spreadsheet export: ';' separated, dd.mm.yyyy dates, 1.234,56 numbers."""
    def number(v: float) -> str:
        return f"{v:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return "Datum;Umsatz\n" + "".join(f"{t:%d.%m.%Y};{number(v)}\n"
                                      for t, v in zip(times, values, strict=True))


# ---------------------------------------------------------------------------------------------
# each style reads to the ISO file's index


def test_the_iso_file_is_the_reference(tmp_path):
    frame, _ = read_series(_write(tmp_path, _table(DAYS, "%Y-%m-%d")))
    assert frame.index.equals(DAYS) and np.allclose(frame["Close"], VALUES)


def test_a_german_export_reads_as_the_iso_file_without_any_flag(tmp_path):
    path = _write(tmp_path, _german(DAYS, VALUES))
    frame, report = read_series(path)  # 'Datum' found by its cells, not its name
    iso, _ = read_series(_write(tmp_path, _table(DAYS, "%Y-%m-%d"), "iso.csv"))
    assert frame.index.equals(iso.index)
    assert frame["Umsatz"].tolist() == pytest.approx(VALUES.tolist())
    assert (report.sep, report.decimal, report.thousands) == (";", ",", ".")


@pytest.mark.parametrize("write", [
    "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%y", "%m/%d/%y",
    lambda t: f"{t.day}.{t.month}.{t:%Y}", lambda t: f"{t.month}/{t.day}/{t:%y}",  # 1.2.2022
])
def test_day_first_and_month_first_files_read_as_the_iso_file(tmp_path, write):
    frame, _ = read_series(_write(tmp_path, _table(DAYS, write)))
    assert frame.index.equals(DAYS) and np.allclose(frame["Close"], VALUES)


@pytest.mark.parametrize("date_format", ["%d.%m.%Y %H:%M", "%m/%d/%Y %H:%M:%S",
                                         "%m/%d/%Y %I:%M %p", "%d.%m.%y %H:%M"])
def test_dates_with_times_read_as_the_iso_file(tmp_path, date_format):
    times = pd.date_range("2022-03-11 18:00", periods=40, freq="6h", name="date")
    frame, _ = read_series(_write(tmp_path, _table(times, date_format, "Zeit;Wert", ";", ",")))
    iso, _ = read_series(_write(tmp_path, _table(times, "%Y-%m-%dT%H:%M:%S"), "iso.csv"))
    assert frame.index.equals(iso.index) and frame.index.equals(times)


def test_the_date_column_is_found_among_text_columns(tmp_path):
    text = "Filiale;Datum;Umsatz\n" + "".join(f"Köln;{t:%d.%m.%Y};{k},5\n"
                                              for k, t in enumerate(DAYS))
    frame, _ = read_series(_write(tmp_path, text))
    assert frame.index.equals(DAYS) and list(frame.columns) == ["Umsatz"]


# ---------------------------------------------------------------------------------------------
# the order of day and month, decided from the data


@pytest.mark.parametrize("cells, expected", [
    (["03.04.2022", "04.04.2022", "05.04.2022"], ["2022-04-03", "2022-04-04", "2022-04-05"]),
    # both increase; only day first is evenly spaced (month first: 4 March, 4 April, 4 May)
    (["10.01.2022", "03.02.2022", "12.02.2022"], ["2022-01-10", "2022-02-03", "2022-02-12"]),
    # month first (1 Oct, 2 Mar, 2 Dec) does not run down the file
    (["05.04.2022", "04.04.2022", "03.04.2022"], ["2022-04-05", "2022-04-04", "2022-04-03"]),
    # newest first: both decrease, day first evenly
    (["01.01.2022", "02.02.2022", "03.03.2022"], ["2022-01-01", "2022-02-02", "2022-03-03"]),
    # day == month in every cell: one reading
    (["04/03/2022", "04/10/2022", "04/17/2022"], ["2022-04-03", "2022-04-10", "2022-04-17"]),
    # only month first reads 17
])
def test_the_order_of_day_and_month_is_settled_by_the_data(cells, expected):
    dates, formats = read_dates(pd.Series(cells, dtype="str"))
    assert [str(d.date()) for d in dates] == expected and len(formats) == 1


def test_dates_that_read_both_ways_raise_one_line_that_flags_settle(tmp_path):
    path = _write(tmp_path, "Datum;Umsatz\n01.01.2022;1\n01.02.2022;2\n01.03.2022;3\n")
    with pytest.raises(InputError) as info:  # 1 Jan, 1 Feb, 1 Mar or 1, 2, 3 January
        read_series(path)
    assert str(info.value) == (f"{path}: the dates in 'Datum' read both day first and month "
                               "first (e.g. '01.02.2022'); pass `dayfirst` or `date_format`")
    frame, _ = read_series(path, dayfirst=True)
    assert list(frame.index) == list(pd.date_range("2022-01-01", periods=3, freq="MS"))
    frame, _ = read_series(path, date_format="%m.%d.%Y")
    assert list(frame.index) == list(pd.date_range("2022-01-01", periods=3, freq="D"))


def test_dayfirst_refuses_a_date_that_reads_only_month_first(tmp_path):
    path = _write(tmp_path, "Date,Close\n01/12/2022,1\n01/13/2022,2\n")
    with pytest.raises(InputError, match=re.escape(f"{path} line 3: 'Date' is '01/13/2022', a "
                                                   "date that reads only month first")):
        read_series(path, dayfirst=True)
    assert read_series(path)[0].index[-1] == pd.Timestamp("2022-01-13")


def test_dates_in_neither_order_keep_the_other_format_message(tmp_path):
    path = _write(tmp_path, "Date,Close\n01.01.2022,1\n13.01.2022,2\n01.14.2022,3\n")
    with pytest.raises(InputError) as info:
        read_series(path)
    assert str(info.value) == (f"{path} line 4: 'Date' is '01.14.2022', a date in another "
                               "format than '01.01.2022' on line 2: write every date in one "
                               "format (pass `date_format` if the dates are written in one "
                               "format)")


# ---------------------------------------------------------------------------------------------
# date_format


def test_date_format_reads_every_cell_in_exactly_that_format(tmp_path):
    path = _write(tmp_path, "Date,Close\n2022|31|01,1\n2022|01|02,2\n")
    frame, _ = read_series(path, date_column="Date", date_format="%Y|%d|%m")
    assert list(frame.index) == [pd.Timestamp("2022-01-31"), pd.Timestamp("2022-02-01")]
    path = _write(tmp_path, "step,Close\n20220131,1\n20220201,2\n")  # integers, as dates
    frame, _ = read_series(path, date_format="%Y%m%d")
    assert frame.index[0] == pd.Timestamp("2022-01-31")


def test_a_cell_outside_date_format_names_line_column_cell_and_format(tmp_path):
    path = _write(tmp_path, "Date,Close\n31.01.2022,1\n2022-02-01,2\n")
    with pytest.raises(InputError) as info:
        read_series(path, date_format="%d.%m.%Y")
    assert str(info.value) == (f"{path} line 3: 'Date' is '2022-02-01', not a date in "
                               "`date_format` '%d.%m.%Y'")


@pytest.mark.parametrize("date_format, match", [
    ("%d.%m.%Q", r"`date_format` '%d.%m.%Q' is no strftime format \('Q' is a bad directive"),
    ("dd.mm.yyyy", r"`date_format` 'dd.mm.yyyy' has no strftime code"),
])
def test_an_invalid_date_format_is_named(tmp_path, date_format, match):
    path = _write(tmp_path, "Date,Close\n31.01.2022,1\n")
    with pytest.raises(InputError, match=match) as info:
        read_series(path, date_format=date_format)
    assert "\n" not in str(info.value)


def test_day_month_formats_follow_the_first_cell():
    assert day_month_formats("3.4.22") == ("%d.%m.%y", "%m.%d.%y")
    assert day_month_formats("03-04-2022 14:30:05.25") == ("%d-%m-%Y %H:%M:%S.%f",
                                                           "%m-%d-%Y %H:%M:%S.%f")
    assert day_month_formats("4/3/2022 2:30PM")[1] == "%m/%d/%Y %I:%M%p"
    for other in ("2022-04-03", "20220403", "Apr 3 2022", "03.04", "1.5", 3.0):
        assert day_month_formats(other) is None


# ---------------------------------------------------------------------------------------------
# property: any daily range with a day past 12 reads back exactly, either order


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                      max_value=pd.Timestamp("2060-12-31").date()),
       periods=st.integers(2, 60), dayfirst_written=st.booleans(),
       sep=st.sampled_from([".", "/", "-"]), year=st.sampled_from(["%Y", "%y"]))
def test_daily_ranges_read_back_exactly(start, periods, dayfirst_written, sep, year):
    days = pd.date_range(start, periods=periods, freq="D", name="date")
    assume((days.day > 12).any())
    fields = ("%d", "%m") if dayfirst_written else ("%m", "%d")
    date_format = sep.join([*fields, year])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "days.csv"
        path.write_text("When,v\n" + "".join(f"{t.strftime(date_format)},{k}\n"
                                             for k, t in enumerate(days)))
        frame, _ = read_series(path)
    assert frame.index.equals(days)
    assert frame["v"].tolist() == list(range(periods))


# ---------------------------------------------------------------------------------------------
# the CLI, end to end


def test_forecast_reads_a_german_export(tmp_path):
    days = pd.date_range("2022-01-01", periods=200, freq="D")
    sales = 5000 + 800 * np.sin(2 * np.pi * np.arange(200) / 7)
    path = _write(tmp_path, _german(days, sales), "umsatz.csv")
    code = main(["forecast", "--data", str(path), "--target", "Umsatz", "--epochs", "1",
                 "--hidden-size", "8", "--lookback", "20", "--loss", "mse", "--no-progress",
                 "--threads", "1", "--out", str(tmp_path / "run")])
    assert code == 0
