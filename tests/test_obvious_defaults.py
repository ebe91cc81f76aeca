"""Files and frames as people keep them, forecast with no flags beyond `--data`: the target is
the only numeric column, the season and the horizon come from the data, frames with a date
column read as files do (issue: real files and frames)."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.cli import main
from rnnkit.forecast import Forecaster, NetworkRegressor
from rnnkit.io.files import written_decimals
from rnnkit.io.sources import obvious_target
from rnnkit.training.loop import TrainConfig

QUICK = ["--epochs", "1", "--hidden-size", "8", "--no-progress", "--threads", "1"]


def _sales(n=300, seed=0) -> pd.DataFrame:
    """Daily sales with a weekly season (weekends busy), as a CSV export has them."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2022-01-03", periods=n, freq="D")
    sales = 100 + 30 * (days.day_of_week >= 5) + rng.normal(0, 3, n)
    return pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "sales": sales.round(1)})


def _temperature(days=30, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2022-06-01", periods=24 * days, freq="h")
    values = 20 + 5 * np.sin(2 * np.pi * (hours.hour - 9) / 24) + rng.normal(0, 0.3, len(hours))
    return pd.DataFrame({"timestamp": hours.strftime("%Y-%m-%d %H:%M"), "temp": values})


@pytest.mark.parametrize(("make", "season"), [(_sales, 7), (_temperature, 24)])
def test_a_file_with_one_numeric_column_needs_only_data(tmp_path, make, season):
    path = tmp_path / "series.csv"
    make().to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["forecast", "--data", str(path), *QUICK, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["season"] == season
    assert metrics["encoding"]["selection"]["seasonal"] is True
    future = pd.read_csv(out / "future.csv")
    assert len(future) == season  # the horizon: one season, the data shows one
    assert pd.to_datetime(future.iloc[:, 0]).diff().dropna().nunique() == 1
    predictions = pd.read_csv(out / "predictions.csv", parse_dates=["date"])
    decimals = written_decimals(make().iloc[:, 1])
    for column in ("model", "network", "linear", "lo_95", "hi_95"):
        assert np.allclose(predictions[column], predictions[column].round(decimals), atol=1e-12)
    frame = make().set_index(pd.to_datetime(make().iloc[:, 0])).iloc[:, 1]
    first = predictions[predictions["step"] == 1].iloc[0]
    # the seasonal naive forecast is the value one season earlier in time
    assert first["snaive"] == pytest.approx(frame.shift(season).loc[first["date"]])


def test_the_target_is_the_only_numeric_column_else_the_error_lists_them():
    one = pd.DataFrame({"sales": [1.0, 2.0]})
    assert obvious_target(one, "f.csv") == "sales"
    prices = pd.DataFrame({"Open": [1.0], "Close": [2.0], "Volume": [3.0]})
    assert obvious_target(prices, "f.csv") == "Close"
    assert obvious_target(pd.DataFrame({"a": [1.0], "promo": [0.0]}), "f.csv", ["promo"]) == "a"
    with pytest.raises(InputError, match=r"f.csv has 2 numeric columns \('a', 'b'\): name the "
                                         "one to forecast with `target`"):
        obvious_target(pd.DataFrame({"a": [1.0], "b": [2.0]}), "f.csv")


def test_two_numeric_columns_are_one_line_naming_them(tmp_path, capsys):
    path = tmp_path / "two.csv"
    _sales().assign(price=5.0).to_csv(path, index=False)
    assert main(["forecast", "--data", str(path), *QUICK, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "2 numeric columns ('sales', 'price')" in err and "--target" in err
    assert err.count("\n") == 1


def test_a_frame_with_a_date_column_is_indexed_by_it():
    """What pd.read_csv returns: row numbers, the dates in a column (text or datetimes)."""
    frame = _sales(200)
    net = NetworkRegressor(train=TrainConfig(epochs=1))
    f = Forecaster(net, lookback=14, horizon=7, target="sales").fit(frame)
    assert f.season_ == 7  # the daily spacing, not row numbers
    future = f.predict(frame)
    assert future.index[0] == pd.Timestamp("2022-07-22")  # the day after the last date
    as_dates = frame.assign(date=pd.to_datetime(frame["date"]))
    pd.testing.assert_frame_equal(f.predict(as_dates), future)
    long = pd.concat([frame.assign(store=s) for s in ("a", "b")], ignore_index=True)
    g = Forecaster(net, lookback=14, horizon=7, target="sales", id_column="store").fit(long)
    assert g.season_ == 7 and set(g.predict(long)["store"]) == {"a", "b"}


def test_no_progress_bar_lands_in_a_log_file(tmp_path, capsys):
    path = tmp_path / "sales.csv"
    _sales(200).to_csv(path, index=False)
    flags = [f for f in QUICK if f != "--no-progress"]
    assert main(["forecast", "--data", str(path), *flags, "--out", str(tmp_path / "o")]) == 0
    assert "\r" not in capsys.readouterr().err  # stderr is not a terminal here


def test_many_series_plots_show_something_at_horizon_one(monkeypatch):
    """Every line of series.png and error_by_step.png has two points or a marker, with
    readable (concise) date ticks."""
    import matplotlib.dates as mdates

    from rnnkit.io.plots import forecast as plots

    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: figures.append(fig))
    times = pd.date_range("2022-01-01", periods=30, freq="h")
    predictions = pd.concat([pd.DataFrame({
        "series": key, "origin": times[:-1], "step": 1, "date": times[1:],
        "actual": np.arange(29.0), "model": np.arange(29.0) + 0.1, "snaive": 1.0, "naive": 2.0,
        "lo_95": -1.0, "hi_95": 40.0}) for key in "abc"], ignore_index=True)
    per_series = pd.DataFrame({"series": list("abc"), "model_smape": [1.0, 2.0, 3.0]})
    plots.plot_series_examples("s.png", predictions, per_series, "y")
    plots.plot_error_by_step("e.png", predictions, 24)
    for fig in figures:
        for ax in fig.axes:
            assert ax.lines and all(len(line.get_xdata()) >= 2 or line.get_marker() != "None"
                                    for line in ax.lines)
    assert isinstance(figures[0].axes[0].xaxis.get_major_formatter(),
                      mdates.ConciseDateFormatter)


def test_new_sequences_without_labels_are_read_whole(tmp_path):
    """`rnnkit predict` on a UCR-layout file of new sequences: a first field that is none of
    the model's labels is a value, not a label."""
    from rnnkit.io.sequence_files import read_labelled

    rng = np.random.default_rng(0)
    values = rng.normal(size=(4, 6)).round(3)
    bare = tmp_path / "new.tsv"
    bare.write_text("\n".join("\t".join(map(str, row)) for row in values) + "\n")
    data = read_labelled(bare, labelled=False, classes=("1", "-1"))
    assert data.labels is None
    np.testing.assert_allclose(np.stack([s[:, 0] for s in data.values]), values)
    tagged = tmp_path / "tagged.tsv"
    tagged.write_text("\n".join("\t".join(["1" if k % 2 else "-1", *map(str, row)])
                                for k, row in enumerate(values)) + "\n")
    data = read_labelled(tagged, labelled=False, classes=("1", "-1"))
    assert data.labels == ("-1", "1", "-1", "1") and data.values[0].shape == (6, 1)


def test_a_file_without_times_is_read_as_steps_when_asked(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    path.write_text("sales\n" + "".join(f"{v}\n" for v in _sales(120)["sales"]))
    out = tmp_path / "o"
    assert main(["forecast", "--data", str(path), *QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "has no date column" in err and "--no-dates" in err and err.count("\n") == 1
    assert main(["forecast", "--data", str(path), "--no-dates", *QUICK, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["rows"] == 120 and metrics["data"]["first"] == "0"


def test_a_backtest_plots_itself_in_python(tmp_path):
    from matplotlib.figure import Figure

    from rnnkit.forecast import backtest

    frame = _sales(200)
    net = NetworkRegressor(train=TrainConfig(epochs=1))
    result = backtest(Forecaster(net, lookback=14, horizon=7, target="sales"), frame)
    fig = result.plot(frame, tmp_path / "forecast.png")
    assert isinstance(fig, Figure) and (tmp_path / "forecast.png").read_bytes()[:4] == b"\x89PNG"
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert {"training data", "actual", "model, 1 step ahead"} <= set(labels)
    long = pd.concat([frame.assign(store=s) for s in ("a", "b")], ignore_index=True)
    many = backtest(Forecaster(net, lookback=14, horizon=7, target="sales", id_column="store"),
                    long, test_size=7)
    assert len(many.plot().axes) == 3  # the best, median and worst series


def test_no_figures_writes_the_numbers_and_the_model_only(tmp_path):
    path = tmp_path / "sales.csv"
    _sales(200).to_csv(path, index=False)
    out = tmp_path / "o"
    assert main(["forecast", "--data", str(path), *QUICK, "--no-figures", "--out", str(out)]) == 0
    assert not list(out.glob("*.png"))
    assert {"metrics.json", "predictions.csv", "future.csv", "model"} <= {p.name for p in
                                                                          out.iterdir()}
