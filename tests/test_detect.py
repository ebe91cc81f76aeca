"""`rnnkit detect` end to end on small labelled and unlabelled streams, its files read back as
NAB's scorer reads them, and its one-line errors; the stream reader it uses."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.anomaly import PROFILES, row_values, score_file
from rnnkit.anomaly.report import comparable_times, read_windows
from rnnkit.anomaly.synthetic import synthetic_stream
from rnnkit.cli.app import main
from rnnkit.io.streams import read_stream

SMALL = ["--lookback", "12", "--hidden-size", "8", "--adapt-every", "200", "--adapt-steps",
         "5", "--no-progress"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two labelled streams in two categories, and their windows file beside them."""
    root = tmp_path_factory.mktemp("corpus")
    windows = {}
    for category, kind, seed in (("sensors", "daily", 1), ("servers", "bursty", 2)):
        stream = synthetic_stream(kind, rows=1200, anomalies=1, seed=seed)
        (root / category).mkdir()
        stream.frame.to_csv(root / category / f"{kind}.csv", index=False)
        windows[f"{category}/{kind}.csv"] = [[f"{a}.000000", f"{b}.000000"]
                                              for a, b in stream.windows]
    (root / "combined_windows.json").write_text(json.dumps(windows))
    return root


@pytest.fixture(scope="module")
def labelled_run(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["detect", "--data", str(corpus), "--out", str(out), *SMALL]) == 0
    return out


def test_a_labelled_corpus_gets_nabs_results_layout_and_a_report(labelled_run, capsys):
    out = labelled_run
    results = out / "results" / "rnnkit"
    daily = pd.read_csv(results / "sensors" / "rnnkit_daily.csv")
    assert list(daily.columns) == ["timestamp", "value", "anomaly_score"] and len(daily) == 1200
    assert (results / "servers" / "rnnkit_bursty.csv").is_file()
    assert daily["anomaly_score"].between(0, 1).all()
    report = pd.read_csv(out / "report.csv")
    assert set(report["profile"]) == set(PROFILES) and len(report) == 6
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rows"] == 2400 and set(metrics["profiles"]) == set(PROFILES)
    assert (out / "plots" / "sensors" / "daily.png").stat().st_size > 10_000
    detections = pd.read_csv(out / "detections.csv")
    assert (detections["anomaly_score"] >= metrics["threshold"]).all()
    assert {"file", "timestamp", "value", "anomaly_score", "in_window"} <= set(detections)


def test_the_results_files_score_as_the_report_says_when_read_back(labelled_run, corpus):
    """NAB's scorer reads our results files: scoring them again from disk gives report.csv."""
    report = pd.read_csv(labelled_run / "report.csv")
    keys = ["sensors/daily.csv", "servers/bursty.csv"]
    windows = read_windows(corpus / "combined_windows.json", keys)
    for key in keys:
        category, name = key.split("/")
        results = pd.read_csv(labelled_run / "results" / "rnnkit" / category / f"rnnkit_{name}")
        times = comparable_times(pd.DatetimeIndex(pd.to_datetime(results["timestamp"])))
        for profile, costs in PROFILES.items():
            row = report[(report["file"] == key) & (report["profile"] == profile)].iloc[0]
            values = row_values(times, windows[key], costs, key)
            again = score_file(results["anomaly_score"].to_numpy(), values, costs,
                               row["threshold"])
            assert again.score == pytest.approx(row["score"], abs=1e-9)
            assert (again.tp, again.fp, again.fn) == (row["tp"], row["fp"], row["fn"])


def test_an_unlabelled_file_gets_scores_and_a_figure_but_no_report(corpus, tmp_path, capsys):
    lone = tmp_path / "cpu.csv"
    lone.write_text((corpus / "servers" / "bursty.csv").read_text())
    out = tmp_path / "out"
    assert main(["detect", "--data", str(lone), "--out", str(out), "--threshold", "0.3",
                 *SMALL]) == 0
    printed = capsys.readouterr().out
    assert "threshold 0.3 (given)" in printed and "NAB score" not in printed
    category = tmp_path.name
    assert (out / "results" / "rnnkit" / category / "rnnkit_cpu.csv").is_file()
    assert not (out / "report.csv").exists() and (out / "plots" / category / "cpu.png").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--threshold", "2"], "--threshold must be in [0, 1]"),
    (["--windows", "{missing}"], "no such file"),
    (["--windows", "{other}"], "has no entry for"),
    (["--data", "{empty}"], "holds no CSV file"),
])
def test_bad_input_is_one_line(corpus, tmp_path, capsys, args, message):
    (tmp_path / "other.json").write_text('{"x/y.csv": []}')
    (tmp_path / "empty").mkdir()
    places = {"missing": tmp_path / "none.json", "other": tmp_path / "other.json",
              "empty": tmp_path / "empty"}
    args = [a.format(**places) for a in args]
    code = main(["detect", "--data", str(corpus), *args, "--out", str(tmp_path / "out"),
                 *SMALL])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_nabs_own_windows_name_the_bundled_rows():
    """The bundled windows carry microseconds; matched by time they name rows of the files."""
    from rnnkit.io.datasets import bundled

    with bundled("nab").path() as folder:
        key = "artificialWithAnomaly/art_daily_jumpsup.csv"
        windows = read_windows(folder / "combined_windows.json", [key])
        stream = read_stream(folder / (key + ".gz"))
    values = row_values(comparable_times(stream.time), windows[key], PROFILES["standard"], key)
    inside = np.flatnonzero(values.window == 0)
    assert len(inside) == 403 and stream.timestamps[inside[0]] == "2014-04-10 16:15:00"


def test_a_stream_keeps_every_row_in_file_order(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("time;reading\n2020-01-01 02:00;1,5\n2020-01-01 02:05;\n"
                    "2020-01-01 02:00;3\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stream = read_stream(path)
    assert stream.values.tolist() == [1.5, 1.5, 3.0] and stream.column == "reading"
    assert stream.timestamps == ["2020-01-01 02:00", "2020-01-01 02:05", "2020-01-01 02:00"]
    assert len(caught) == 2  # one for the empty cell, one for the time stepping back


@pytest.mark.parametrize(("text", "message"), [
    ("t,a,b\n2020-01-01,1,2\n", "value column is not clear"),
    ("t,a\n2020-01-01,\n", "holds no number"),
    ("t,a\n2020-01-01,x1\n", "line 2"),
])
def test_a_bad_stream_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_stream(path)
