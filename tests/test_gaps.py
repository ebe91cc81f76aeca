"""rnnkit.io.gaps: the spacing of a series' times, and its missing times inserted and filled."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit._checks import InputError
from rnnkit.io.gaps import regular_axis
from rnnkit.io.tables import read_panel, read_series


def _csv(tmp_path, index: pd.Index, values, header: str = "Date,Close",
         name: str = "series.csv"):
    """A two-column file of ``index`` (dates as 2020-01-05 or 2020-01-05 07:00) and values."""
    if isinstance(index, pd.DatetimeIndex):
        midnight = (index == index.normalize()).all()
        cells = index.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    else:
        cells = index.astype(str)
    path = tmp_path / name
    path.write_text(header + "\n" + "".join(f"{t},{float(v)!r}\n" for t, v in zip(cells, values,
                                                                           strict=True)))
    return path


def _read(path, **options) -> tuple[pd.DataFrame, object, list[str]]:
    """read_series' frame and report, and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame, report = read_series(path, **options)
    return frame, report, [str(w.message) for w in caught]


def _frame(index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(len(index), dtype=float)}, index=index)


# -- filling the gaps of a regular series ----------------------------------------------------------
def test_25_missing_dates_of_a_linear_daily_series_are_inserted_and_recovered(tmp_path):
    days = pd.date_range("2021-01-01", periods=200, freq="D", name="date")
    line = 3.0 + 0.25 * np.arange(200)  # x_t linear in t: interpolation recovers it
    removed = np.random.default_rng(0).choice(np.arange(1, 199), 25, replace=False)
    kept = np.setdiff1d(np.arange(200), removed)
    frame, report, said = _read(_csv(tmp_path, days[kept], line[kept]))
    assert frame.index.equals(days) and frame.index.name == "date"
    np.testing.assert_allclose(frame["Close"], line, rtol=0, atol=1e-12)
    assert (report.inserted, report.spacing, report.gaps) == (25, "1D", "interpolate")
    assert report.to_dict()["inserted"] == 25 and report.filled == {"Close": 0}
    assert said == [f"{tmp_path / 'series.csv'}: 25 missing dates inserted (spacing 1D) and "
                    "interpolated; `gaps` sets how"]


def test_interpolation_is_linear_in_time_not_in_rows(tmp_path):
    # 1, _, _, 7 over three days: 3 and 5 between; hours the same way
    days = pd.DatetimeIndex(["2020-01-01", "2020-01-04", "2020-01-05"])
    hours = pd.DatetimeIndex(["2020-01-01 00:00", "2020-01-01 03:00", "2020-01-01 04:00"])
    with pytest.warns(UserWarning, match="2 missing dates inserted"):
        frame, _, _ = regular_axis("f.csv", pd.DataFrame({"x": [1.0, 7.0, 8.0]}, index=days))
    assert frame["x"].tolist() == [1.0, 3.0, 5.0, 7.0, 8.0]
    with pytest.warns(UserWarning, match="2 missing times inserted"):
        frame, _, _ = regular_axis("f.csv", pd.DataFrame({"x": [0.0, 6.0, 7.0]}, index=hours))
    assert frame["x"].tolist() == [0.0, 2.0, 4.0, 6.0, 7.0]


# four days from a Wednesday (a Sunday among them: not business days), two missing
SHORT = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"])


@pytest.mark.parametrize("gaps, filled, done", [
    ("interpolate", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "interpolated"),
    ("zero", [1.0, 2.0, 0.0, 0.0, 5.0, 6.0], "set to 0"),
    ("ffill", [1.0, 2.0, 2.0, 2.0, 5.0, 6.0], "filled with the last value"),
])
def test_gaps_zero_and_ffill_fill_as_they_say(tmp_path, gaps, filled, done):
    frame, report, said = _read(_csv(tmp_path, SHORT, [1.0, 2.0, 5.0, 6.0]), gaps=gaps)
    assert frame["Close"].tolist() == filled and frame.index[2] == pd.Timestamp("2020-01-03")
    assert (report.inserted, report.gaps) == (2, gaps)
    assert said == [f"{tmp_path / 'series.csv'}: 2 missing dates inserted (spacing 1D) and "
                    f"{done}; `gaps` sets how"]


def test_gaps_error_refuses_with_the_count_the_first_missing_date_and_the_spacing(tmp_path):
    path = _csv(tmp_path, SHORT, [1.0, 2.0, 5.0, 6.0])
    message = (f"{path}: 2 dates missing (the first 2020-01-03, spacing 1D): pass `gaps` "
               "interpolate, zero or ffill to fill them")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        read_series(path, gaps="error")
    with pytest.raises(InputError, match="gaps must be one of 'interpolate', 'zero', 'ffill', "
                                         "'error', 'keep', got 'mean'"):
        read_series(path, gaps="mean")


def test_hourly_and_half_hourly_series(tmp_path):
    hours = pd.date_range("2020-01-01", periods=48, freq="h")
    frame, report, said = _read(_csv(tmp_path, hours.delete([5, 6]), np.arange(46.0)))
    assert frame.index.equals(hours) and (report.inserted, report.spacing) == (2, "1h")
    assert frame["Close"].iloc[4:8].tolist() == [4.0, 4 + 1 / 3, 4 + 2 / 3, 5.0]
    assert "2 missing times inserted (spacing 1h)" in said[0]
    halves = pd.date_range("2020-01-01", periods=96, freq="30min")
    frame, report, said = _read(_csv(tmp_path, halves, np.arange(96.0)))
    assert (report.inserted, report.spacing, said) == (0, "30min", [])


def test_summer_time_utc_is_regular_and_a_naive_local_spring_hour_is_a_gap(tmp_path):
    utc = pd.date_range("2020-03-28", periods=48, freq="h", tz="UTC")  # across Berlin's change
    assert regular_axis("f.csv", _frame(utc))[1:] == (0, "1h")
    berlin = pd.date_range("2020-03-28", periods=48, freq="h", tz="Europe/Berlin")
    assert regular_axis("f.csv", _frame(berlin))[1:] == (0, "1h")
    # the clock on a Berlin wall: 01:00, then 03:00 (02:00 never happens); the reader's rows
    wall = pd.DatetimeIndex(["2020-03-29 00:00", "2020-03-29 01:00", "2020-03-29 03:00",
                             "2020-03-29 04:00"])
    with pytest.warns(UserWarning, match="1 missing time inserted"):
        frame, inserted, _ = regular_axis("f.csv", _frame(wall))
    assert inserted == 1 and frame["x"].tolist() == [0.0, 1.0, 1.5, 2.0, 3.0]


@pytest.mark.parametrize("freq, spacing", [
    ("MS", "MS"), ("ME", "ME"), ("BMS", "BMS"), ("BME", "BME"), ("QS-JAN", "QS-JAN"),
    ("QE-DEC", "QE-DEC"), ("QS-FEB", "QS-FEB"), ("YS", "YS-JAN"), ("YE", "YE-DEC"),
    ("2MS", "2MS"),
])
def test_calendar_months_quarters_and_years_are_regular(tmp_path, freq, spacing):
    dates = pd.date_range("2001-01-01", periods=40, freq=freq)
    frame, report, said = _read(_csv(tmp_path, dates, np.arange(40.0)))
    assert frame.index.equals(dates) and (report.inserted, report.spacing, said) == (
        0, spacing, [])
    with pytest.warns(UserWarning, match=f"1 missing date inserted \\(spacing {spacing}\\)"):
        frame, inserted, _ = regular_axis("f.csv", _frame(dates.delete(7)))
    assert inserted == 1 and frame.index.equals(dates)  # the missing one on its calendar day


def test_a_monthly_series_on_one_day_of_the_month(tmp_path):
    dates = pd.date_range("2020-01-01", periods=12, freq="MS") + pd.Timedelta("14D")  # the 15th
    with pytest.warns(UserWarning, match=r"\(spacing 1 month on day 15\)"):
        frame, inserted, spacing = regular_axis("f.csv", _frame(dates.delete(4)))
    assert frame.index.equals(dates) and (inserted, spacing) == (1, "1 month on day 15")


def test_yearly_dates_beyond_pandas_nanoseconds_are_regular(tmp_path):
    years = [f"{2300 + k}-01-01" for k in range(30)]
    path = tmp_path / "far.csv"
    path.write_text("Date,Close\n" + "".join(f"{y},{k}\n" for k, y in enumerate(years)))
    frame, report, said = _read(path)
    assert (len(frame), report.inserted, report.spacing, said) == (30, 0, "YS-JAN", [])


def test_business_days_with_holidays_are_left_as_they_are(tmp_path):
    days = pd.bdate_range("2019-12-02", periods=60)
    holidays = pd.DatetimeIndex(["2019-12-25", "2020-01-01", "2020-01-20", "2020-02-17"])
    trading = days.difference(holidays)
    frame, report, said = _read(_csv(tmp_path, trading, np.arange(len(trading), dtype=float)))
    assert frame.index.equals(trading)
    assert (report.inserted, report.spacing, said) == (0, "B", [])
    assert report.to_dict()["spacing"] == "B" and "inserted" not in report.to_dict()


def test_a_missing_integer_step_is_inserted(tmp_path):
    path = _csv(tmp_path, pd.Index([1, 2, 3, 5, 6]), [10.0, 20.0, 30.0, 50.0, 60.0],
                header="step,value")
    frame, report, said = _read(path)
    assert frame.index.tolist() == [1, 2, 3, 4, 5, 6] and frame.index.dtype == np.int64
    assert frame["value"].tolist() == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    assert (report.inserted, report.spacing) == (1, "1 step") and "1 missing step" in said[0]
    with pytest.warns(UserWarning, match="1 missing step inserted"):
        frame, _, spacing = regular_axis("f.csv", _frame(pd.Index([0, 5, 15, 20])))
    assert frame.index.tolist() == [0, 5, 10, 15, 20] and spacing == "5 steps"


def test_each_series_of_a_panel_is_filled_on_its_own(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("Date,Name,Close\n2020-01-01,A,1\n2020-01-03,A,3\n2020-01-04,A,4\n"
                    "2020-01-01,B,5\n2020-01-02,B,6\n2020-01-03,B,7\n"
                    "2020-01-01,C,1\n2020-01-02,C,2\n2020-01-04,C,4\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        panel = read_panel(path, id_column="Name")
    assert [str(w.message) for w in caught] == [  # one warning for the file, not per series
        f"{path}: 2 of 3 series were cleaned on the way in (series A: 1 missing date inserted "
        "(spacing 1D) and interpolated; `gaps` sets how)"]
    assert panel["C"][0]["Close"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert panel["A"][0]["Close"].tolist() == [1.0, 2.0, 3.0, 4.0] and panel["A"][1].inserted == 1
    assert panel["B"][1].inserted == 0 and panel["B"][1].spacing == "1D"


# -- what is refused ---------------------------------------------------------------------------
def test_irregular_times_are_one_line_naming_the_line(tmp_path):
    times = pd.date_range("2020-01-01 00:00", periods=12, freq="h")
    times = times.insert(8, pd.Timestamp("2020-01-01 07:13"))  # data line 9: line 10 of the file
    path = _csv(tmp_path, times, np.arange(13.0))
    message = (f"{path}: the times are irregular (spacing 1h most often, but 2020-01-01 07:13 "
               "after 2020-01-01 07:00 on line 10): resample the data to one spacing first, "
               "or pass `gaps` keep to take them as they are")
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        read_series(path)
    kept, report = read_series(path, gaps="keep")  # event times, taken as they are
    assert len(kept) == 13 and (report.inserted, report.spacing) == (0, "")


def test_two_rows_are_never_irregular_and_one_row_has_no_spacing(tmp_path):
    two = pd.DatetimeIndex(["2020-01-01 00:00", "2020-01-01 07:13"])
    assert regular_axis("f.csv", _frame(two))[1:] == (0, "433min")
    assert regular_axis("f.csv", _frame(two[:1]))[1:] == (0, "")


def test_an_axis_mostly_made_of_missing_times_is_refused(tmp_path):
    path = _csv(tmp_path, pd.Index([0, 1, 1000]), [1.0, 2.0, 3.0], header="step,value")
    with pytest.raises(InputError, match=r"998 steps are missing between the 3 rows from 0 to "
                                         r"1000 \(spacing 1 step\): too many to fill"):
        read_series(path)


# -- property: removing rows and reading back -------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(n=st.integers(3, 80), data=st.data())
def test_a_daily_series_with_rows_removed_reads_back_on_its_own_axis(n, data):
    """Remove fewer than a third of the interior rows (so one day stays the most common step)
    and some rows at either end: the interior ones come back, the ends are not gaps."""
    days = pd.date_range("2020-01-01", periods=n, freq="D", name="date")
    values = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=n, max_size=n))
    head, tail = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    inside = range(head + 1, n - tail - 1)
    removed = data.draw(st.sets(st.sampled_from(inside) if inside else st.nothing(),
                                max_size=max(len(inside) // 4, 0)))
    removed = {k for k in removed if days[k].day_of_week < 5}  # weekends stay: not "B" data
    kept = np.zeros(n, bool)
    kept[head:n - tail] = True
    kept[list(removed)] = False
    frame = pd.DataFrame({"x": values}, index=days)[kept]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full, inserted, spacing = regular_axis("f.csv", frame)
    assert full.index.equals(days[head:n - tail]) and inserted == len(removed)
    assert spacing == ("1D" if len(frame) > 1 else "")
    pd.testing.assert_series_equal(full["x"][frame.index], frame["x"])
    assert full["x"].notna().all()
