"""The one way in for data (rnnkit.io.sources) and the bundled data sets (rnnkit.io.datasets)."""

import re
from importlib import resources

import pandas as pd
import pytest

from rnnkit._checks import InputError
from rnnkit.io import sources
from rnnkit.io.datasets import DATASETS, KINDS, bundled, dataset_names, described, is_bundled
from rnnkit.io.sources import load_corpus, load_sequences, load_series, series_layout

SOURCES_MD = (resources.files("rnnkit.datasets") / "SOURCES.md").read_text()
M4_TRAIN = '"V1","V2","V3","V4"\n"H1","1","2","3"\n"H2","4","5",\n'
M4_TEST = '"V1","V2"\n"H1","4"\n"H2","6"\n'
LONG = "Date,Close,Name\n2020-01-01,1,A\n2020-01-01,5,B\n2020-01-02,2,A\n2020-01-02,6,B\n"
TABLE = "Date,Close\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n"
UCR = "1\t0.1\t0.2\n-1\t0.3\tNaN\n"


def _file(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- the registry ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(DATASETS))
def test_each_bundled_name_resolves_to_its_files_and_provenance(name):
    data = bundled(name)
    assert data.name == name and data.kind in KINDS and len(data.parts) == len(data.files)
    for part, file in zip(data.parts, data.files, strict=True):
        assert any(file in line for line in SOURCES_MD.splitlines() if line.startswith("## "))
        with data.path(part) as path:
            assert (path.is_file() or path.is_dir()) and path.name == file  # nab: a folder
    commit = re.search(r"[0-9a-f]{40}", data.provenance).group(0)
    assert commit in SOURCES_MD and "\n" not in data.provenance  # one line, from SOURCES.md
    assert f"{name!r} ({data.description})" in described(data.kind)


def test_every_file_of_the_datasets_folder_is_registered():
    shipped = {p.name for p in resources.files("rnnkit.datasets").iterdir()
               if p.name not in ("SOURCES.md", "__init__.py", "__pycache__")}
    assert shipped == {file for data in DATASETS.values() for file in data.files}


def test_registry_lookups_by_kind():
    assert dataset_names("series", "panel") == ("aapl", "m4-hourly")
    assert dataset_names("sequences") == ("ecg200",) and dataset_names("corpus") == ("shakespeare",)
    assert dataset_names("streams") == ("nab",) and dataset_names("recordings") == ("fsdd",)
    assert is_bundled("ecg200") and is_bundled("ecg200", "sequences")
    assert not is_bundled("ecg200", "corpus") and not is_bundled(42)


def test_an_unknown_name_is_refused_listing_the_names():
    with pytest.raises(InputError, match="^no bundled data set 'ecg2000'; the bundled ones are "
                                         "aapl, m4-hourly, ecg200, nab, fsdd, eng-fra, "
                                         "shakespeare$"):
        bundled("ecg2000")
    with pytest.raises(InputError, match="^ecg200 is labelled sequences, not a time series or "
                                         "many time series; the bundled ones of that kind are "
                                         "aapl, m4-hourly$"):
        bundled("ecg200", "series", "panel")
    with pytest.raises(InputError, match="^aapl2: no such file, nor a bundled data set; the "
                                         "bundled ones are aapl, m4-hourly$"):
        load_series("aapl2")
    with pytest.raises(InputError, match="^shakespeare is a text corpus, not labelled "
                                         "sequences; the bundled ones of that kind are ecg200$"):
        load_sequences("shakespeare")
    with pytest.raises(InputError, match="^shakespear: no such file, .* are shakespeare$"):
        load_corpus("shakespear")
    with pytest.raises(InputError, match="part must be one of 'train', 'test'"):
        bundled("ecg200").path("valid").__enter__()


# -- one series: a path, a bundled name and a frame give the same ----------------------------------
def test_a_path_a_bundled_name_and_a_frame_give_the_same_series(tmp_path):
    by_name, record = load_series("aapl", ["Close", "Volume"])
    assert record == {"source": "aapl", "provenance": bundled("aapl").provenance}
    path = tmp_path / "aapl.csv"
    by_name.rename_axis("Date").to_csv(path)
    by_path, file_record = load_series(str(path), ["Close", "Volume"])
    by_frame, frame_record = load_series(by_name)
    pd.testing.assert_frame_equal(by_path, by_name)
    pd.testing.assert_frame_equal(by_frame, by_name)
    assert file_record["source"] == str(path) and frame_record["source"] == "frame"
    assert frame_record["cleaning"]["rows_read"] == len(by_name)
    series, _ = load_series(by_name["Close"])  # a Series is a one-column frame
    pd.testing.assert_frame_equal(series, by_name[["Close"]])


def test_a_frame_is_checked_as_a_file_is():
    frame = pd.DataFrame({"Close": [1.0, float("inf")]},
                         index=pd.date_range("2020-01-01", periods=2, name="date"))
    with pytest.raises(InputError, match="^the frame row 2: 'Close' is inf$"):
        load_series(frame)
    with pytest.raises(InputError, match="^the frame has no column 'Open'"):
        load_series(frame, ["Open"])


# -- the format, decided once ---------------------------------------------------------------------
def test_the_layout_is_decided_once_for_each_kind_of_source(tmp_path, monkeypatch):
    m4 = _file(tmp_path, "Hourly-train.csv", M4_TRAIN)
    long = _file(tmp_path, "long.csv", LONG)
    table = _file(tmp_path, "table.csv", TABLE)
    assert series_layout(m4) == "m4" and series_layout("m4-hourly", format="table") == "m4"
    assert series_layout(long, id_column="Name") == "panel"
    assert series_layout(long, id_column="Name", series=["A"]) == "panel"  # a list: a panel
    assert series_layout(long, id_column="Name", series="A") == "table"
    assert series_layout(table) == series_layout("aapl") == "table"
    calls = []
    monkeypatch.setattr(sources, "series_layout",
                        lambda *args, **kw: calls.append(args) or series_layout(*args, **kw))
    load_series(long, id_column="Name")
    assert len(calls) == 1


def test_each_format_is_routed_to_its_reader(tmp_path):
    m4 = _file(tmp_path, "train.csv", M4_TRAIN)
    test = _file(tmp_path, "test.csv", M4_TEST)
    panel, record = load_series(m4, test_data=test)
    assert list(panel) == ["H1", "H2"] and panel["H2"]["value"].tolist() == [4.0, 5.0, 6.0]
    assert record == {"source": m4, "format": "m4", "test": test, "series": 2, "horizon": 1,
                      "season": 24}
    panel, record = load_series(_file(tmp_path, "long.csv", LONG), ["Close"], id_column="Name")
    assert list(panel) == ["A", "B"] and panel["B"]["Close"].tolist() == [5.0, 6.0]
    assert record["format"] == "long" and record["series"] == 2 and record["rows"] == 4
    frame, record = load_series(_file(tmp_path, "table.csv", TABLE))
    assert frame["Close"].tolist() == [1.0, 2.0, 3.0] and "cleaning" in record
    one, _ = load_series(_file(tmp_path, "long2.csv", LONG), id_column="Name", series="B")
    assert one["Close"].tolist() == [5.0, 6.0]
    ucr = load_sequences(_file(tmp_path, "seqs.tsv", UCR))
    assert ucr.labels == ("1", "-1") and ucr.lengths.tolist() == [2, 1]
    long_frame = pd.DataFrame({"id": ["a", "a", "b"], "time": [0, 1, 0],
                               "value": [0.1, 0.2, 0.3], "label": ["1", "1", "-1"]})
    sequences = load_sequences(long_frame)
    assert sequences.ids == ("a", "b") and sequences.source == "the frame"
    assert load_sequences("ecg200", "test").source == "ecg200 (test, bundled)"


def test_one_series_only_where_one_is_needed(tmp_path):
    with pytest.raises(InputError, match="^`data` m4-hourly holds many series"):
        load_series("m4-hourly", many=False)
    with pytest.raises(InputError, match="^`id_column` Name without `series`"):
        load_series(_file(tmp_path, "long.csv", LONG), id_column="Name", many=False)
    with pytest.raises(InputError, match="^`data` aapl is a single series"):
        load_series("aapl", id_column="Name")


def test_the_bundled_panel_and_corpus():
    panel, record = load_series("m4-hourly")
    assert len(panel) == 414 and record == {"source": "m4-hourly", "format": "m4", "test": None,
                                            "series": 414, "horizon": 48, "season": 24}
    assert load_corpus("shakespeare").startswith("First Citizen:")
