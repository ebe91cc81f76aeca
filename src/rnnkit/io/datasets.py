"""The data sets that ship with rnnkit: one registry, asked by every reader that knows a name.

Each entry names its files under ``rnnkit/datasets/``, its kind (what it holds, and so which
reader reads it) and its provenance in one line; ``rnnkit/datasets/SOURCES.md`` tells the whole
story of each file (source commit, what was kept, checksums, licence).

Example
-------
>>> data = bundled("ecg200")
>>> data.kind, data.parts
('sequences', ('train', 'test'))
>>> dataset_names("series")
('aapl',)
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rnnkit._checks import InputError, check_choice

KINDS = {  # kind: what it holds, as the messages name it
    "series": "a time series",
    "panel": "many time series",
    "sequences": "labelled sequences",
    "corpus": "a text corpus",
    "streams": "streams with anomaly windows",
    "recordings": "spoken recordings",
    "pairs": "sentence pairs",
}
AAPL_PROVENANCE = (
    "Aky9821/Apple-Stock-Prediction-LSTM AAPL.csv @ 5f7cd73cdb74205ffbb45be65b10b53f2c56d51e: "
    "Yahoo Finance daily OHLCV, split-adjusted (not dividend-adjusted) Close"
)


@dataclass(frozen=True)
class Dataset:
    """A bundled data set: its name, kind (a key of ``KINDS``), files (one per part), what it is
    (``description``, as help texts show it) and where it comes from (``provenance``)."""

    name: str
    kind: str
    files: tuple[str, ...]
    description: str
    provenance: str
    parts: tuple[str, ...] = ("data",)  # one name per file, in the order of ``files``

    @contextmanager
    def path(self, part: str = "") -> Iterator[Path]:
        """The file of ``part`` (default: the first) as a path on disk, while the block runs."""
        if part:
            check_choice("part", part, self.parts)
        name = self.files[self.parts.index(part) if part else 0]
        with resources.as_file(resources.files("rnnkit.datasets") / name) as path:
            yield path


DATASETS = {data.name: data for data in (
    Dataset("aapl", "series", ("aapl.csv",), "bundled daily prices 2015-2020",
            AAPL_PROVENANCE),
    Dataset("m4-hourly", "panel", ("m4-hourly-train.csv.gz", "m4-hourly-test.csv.gz"),
            "bundled, the M4 competition's 414 hourly series",
            "Mcompetitions/M4-methods Dataset/Train/Hourly-train.csv and Dataset/Test/"
            "Hourly-test.csv @ 6c1067e5a57161249b17289a565178dc7a3fb3ca, gzipped: 414 series, "
            "horizon 48", ("train", "test")),
    Dataset("ecg200", "sequences", ("ECG200_TRAIN.tsv", "ECG200_TEST.tsv"),
            "bundled: the UCR archive's ECG200 heartbeats",
            "Flavio-96/K-AE-for-Time-Series data/UCRArchive_2018/ECG200 @ "
            "42b75b53cae94ca197a9ef45d83cb82347b25c18: the UCR archive's ECG200 (2018 release), "
            "100 training and 100 test heartbeats", ("train", "test")),
    Dataset("nab", "streams", ("nab",), "bundled: three Numenta Anomaly Benchmark streams "
            "and their anomaly windows",
            "numenta/NAB data/ and labels/combined_windows.json @ "
            "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140: machine_temperature_system_failure, "
            "nyc_taxi, art_daily_jumpsup (gzipped) and their windows"),
    Dataset("fsdd", "recordings", ("fsdd",), "bundled: the Free Spoken Digit Dataset, 2,500 "
            "recordings of the digits by five speakers",
            "Jakobovski/free-spoken-digit-dataset recordings/ @ "
            "26eb9aaf76e81b692f806f9140c2d2777410d7a1: five speakers, 8 kHz WAV, byte for byte"),
    Dataset("eng-fra", "pairs", ("eng-fra.tsv.gz",), "bundled: 72,364 English-French "
            "sentence pairs from Tatoeba",
            "Soubhagya264/Language_Translator-Encoder-Decoder- fra.txt @ "
            "f6c89651306aa93d2f0f0447ce15b553a530abb0: Tatoeba's English-French pairs (Anki "
            "export), 1-9 English words, gzipped"),
    Dataset("shakespeare", "corpus", ("tinyshakespeare.txt",), "bundled Tiny Shakespeare",
            "karpathy/char-rnn data/tinyshakespeare/input.txt @ "
            "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e: Tiny Shakespeare, 1,115,394 bytes"),
)}


def dataset_names(*kinds: str) -> tuple[str, ...]:
    """The names of the bundled data sets of ``kinds`` (none given: all), in registry order."""
    return tuple(name for name, data in DATASETS.items() if not kinds or data.kind in kinds)


def is_bundled(name: object, *kinds: str) -> bool:
    """Whether ``name`` names a bundled data set (of one of ``kinds``, when given)."""
    return isinstance(name, str) and name in dataset_names(*kinds)


def bundled(name: str, *kinds: str) -> Dataset:
    """The bundled data set ``name``, which must be of one of ``kinds`` when they are given.

    Raises
    ------
    InputError
        ``name`` is no bundled data set, or one of another kind; the message lists the names
        there are (of ``kinds``).
    """
    if name not in DATASETS:
        raise InputError(f"no bundled data set {name!r}; the bundled ones are "
                         f"{_listed(dataset_names(*kinds))}")
    data = DATASETS[name]
    if kinds and data.kind not in kinds:
        raise InputError(f"{name} is {KINDS[data.kind]}, not {' or '.join(KINDS[k] for k in kinds)}"
                         f"; the bundled ones of that kind are {_listed(dataset_names(*kinds))}")
    return data


@contextmanager
def data_path(data: str, kind: str) -> Iterator[Path]:
    """The bundled data set ``data`` of ``kind`` as a path on disk while the block runs, or
    ``data`` itself as a path (a user's file or folder)."""
    if is_bundled(data, kind):
        with bundled(data).path() as path:
            yield Path(path)
    else:
        yield Path(data)


def described(*kinds: str) -> str:
    """The bundled data sets of ``kinds`` as a help text names them: 'aapl' (bundled ...)."""
    return ", ".join(f"{name!r} ({DATASETS[name].description})" for name in dataset_names(*kinds))


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"
