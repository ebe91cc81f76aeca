"""Hostile input, generated: every kind of file a user may point ``--data`` or ``--corpus`` at.

:func:`write_hostile` writes each case into a folder and returns its :class:`Case` records;
``tests/test_hostile.py`` runs the readers and the CLI over them, and
``benchmarks/hostile_table.py`` prints what rnnkit does with each. Everything is generated
from a fixed seed, so the corpus is the same on every run and nothing ships in the repo.
"""

import gzip
import io
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

ROWS = 300  # enough for the default lookback of `rnnkit forecast` (60) and washout of `esn` (100)


class Case(NamedTuple):
    """One hostile input: its name, where it lies, what it is, and the flag it is passed to."""

    name: str
    path: Path
    what: str
    flag: str = "--data"  # or "--corpus" (rnnkit text train)


def _dates(n: int = ROWS) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2020-01-01", periods=n)]


def _close(n: int = ROWS, seed: int = 0) -> np.ndarray:
    """A positive random walk around 100, rounded to cents."""
    steps = np.random.default_rng(seed).normal(0, 1, n)
    return np.round(100 + np.cumsum(steps), 2)


def _csv(rows: list[list[str]], header: tuple[str, ...] = ("Date", "Close"), sep: str = ","
         ) -> str:
    lines = [sep.join(header), *(sep.join(row) for row in rows)]
    return "\n".join(lines) + "\n"


def _good_rows() -> list[list[str]]:
    return [[d, f"{v:.2f}"] for d, v in zip(_dates(), _close(), strict=True)]


def _with(cells: dict[int, str]) -> str:
    """The clean file with the Close cells of some data rows (0-based) replaced."""
    rows = _good_rows()
    for k, cell in cells.items():
        rows[k][1] = cell
    return _csv(rows)


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in entries.items():
            z.writestr(name, text)
    return buffer.getvalue()


def _xlsx() -> bytes:
    """A minimal Office Open XML workbook: the zip entries Excel writes first."""
    return _zip({"[Content_Types].xml": '<?xml version="1.0"?><Types/>',
                 "xl/workbook.xml": '<?xml version="1.0"?><workbook/>',
                 "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet/>'})


def _tables() -> dict[str, tuple[str | bytes, str]]:
    """name -> (content, what it is) of every hostile table."""
    rows = _good_rows()
    good = _csv(rows)
    shuffled = [rows[k] for k in np.random.default_rng(1).permutation(len(rows))]
    repeated = rows + [[rows[k][0], f"{float(rows[k][1]) + 1:.2f}"] for k in range(100, 110)]
    mixed = [[pd.Timestamp(d).strftime("%m/%d/%Y" if k % 3 == 1 else "%Y-%m-%d"), v]
             for k, (d, v) in enumerate(rows)]
    thousands = [[d, f'"{float(v) * 10:,.1f}"'] for d, v in rows]
    european = [[d, f"{float(v) * 10:,.1f}".replace(",", " ").replace(".", ",")
                 .replace(" ", ".")] for d, v in rows]
    volume = [[d, v, ""] for d, v in rows]
    huge = [[d, f"{float(v) * 1e298:.6g}"] for d, v in rows]
    return {
        "clean.csv": (good, "a clean file: Date, Close (the reference for the others)"),
        "empty.csv": ("", "an empty file (0 bytes)"),
        "blank.csv": ("\n \n\n", "blank lines only"),
        "header_only.csv": ("Date,Close\n", "a header and no data rows"),
        "one_row.csv": (_csv(rows[:1]), "a header and one data row"),
        "too_few_rows.csv": (_csv(rows[:12]), "12 rows (fewer than a lookback of 20 needs)"),
        "no_date_column.csv": (_csv([[v, "1"] for _, v in rows], ("Close", "Volume")),
                               "no column of dates (Close, Volume)"),
        "no_numeric_column.csv": (_csv([[d, "AAPL"] for d, _ in rows], ("Date", "Name")),
                                  "dates and a text column, no numbers"),
        "mixed_date_formats.csv": (_csv(mixed), "dates as 2020-01-01 and 01/02/2020 mixed"),
        "unsorted_dates.csv": (_csv(shuffled), "the rows in random order"),
        "duplicate_dates.csv": (_csv(repeated), "10 dates repeated at the end with other values"),
        "duplicate_rows.csv": (_csv(rows + rows[-10:]), "the last 10 rows repeated exactly"),
        "thousands.csv": (_csv(thousands), 'quoted thousands separators, "1,234.5"'),
        "thousands_semicolon.csv": (_csv(european, sep=";"),
                                    "European thousands and decimals, 1.234,5 ; separated"),
        "na_strings.csv": (_with({5: "N/A", 40: "N/A"}), 'some cells "N/A"'),
        "nan_strings.csv": (_with({5: "NaN"}), 'a cell "NaN"'),
        "currency.csv": (_csv([[d, f"${v}"] for d, v in rows]),
                         'prices with a dollar sign, "$100.13"'),
        "empty_cells.csv": (_with({0: "", 10: "", 11: "", 70: ""}),
                            "empty cells, the first row's too"),
        "empty_target.csv": (_csv([[d, "", v] for d, v in rows], ("Date", "Close", "Open")),
                             "the Close column empty in every row"),
        "empty_other_column.csv": (_csv(volume, ("Date", "Close", "Volume")),
                                   "a Volume column empty in every row, beside Close"),
        "infinities.csv": (_with({20: "inf", 21: "-inf"}), 'cells "inf" and "-inf"'),
        "huge_values.csv": (_csv(huge), "values around 1e300 (finite, but their squares "
                            "overflow)"),
        "constant.csv": (_csv([[d, "100"] for d, _ in rows]), "a constant series (100)"),
        "negative_and_zero.csv": (_csv([[d, f"{float(v) - 100:.2f}"] for d, v in rows]),
                                  "a series crossing zero (no log returns)"),
        "far_dates.csv": (_csv([[f"{2300 + k}-01-01", v] for k, (_, v) in enumerate(rows)]),
                          "yearly dates from 2300 on, past pandas' nanosecond range"),
        "ragged.csv": (good.replace("\n2020-01-10,", "\n2020-01-10,1,2,"),
                       "one row with more cells than the header"),
        "unbalanced_quote.csv": (good.replace("\n2020-01-10,", '\n"2020-01-10,'),
                                 "an opening quote never closed"),
        "duplicate_header.csv": (_csv([[d, v, v] for d, v in rows], ("Date", "Close", "Close")),
                                 "two columns named Close"),
        "utf8_bom.csv": (b"\xef\xbb\xbf" + good.encode(), "UTF-8 with a BOM"),
        "utf16_bom.csv": (good.encode("utf-16"), "UTF-16 with a BOM"),
        "utf16_no_bom.csv": (good.encode("utf-16-le"), "UTF-16 without a BOM"),
        "latin1.csv": ("Date,Clôture\n".encode("latin-1") + good.split("\n", 1)[1].encode(),
                       "Latin-1 bytes in the header"),
        "semicolons.csv": (_csv([[d, v.replace(".", ",")] for d, v in rows], sep=";"),
                           "; separated, decimal commas"),
        "tabs.tsv": (_csv(rows, sep="\t"), "tab separated"),
        "gzipped.csv.gz": (gzip.compress(good.encode(), mtime=0), "gzip-compressed CSV"),
        "corrupt.csv.gz": (b"\x1f\x8b\x08\x00" + bytes(range(40)), "a truncated gzip file"),
        "excel.xlsx": (_xlsx(), "an Excel workbook (.xlsx)"),
        "excel.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
                      "an Excel 97-2003 workbook (.xls, OLE2)"),
        "binary.bin": (np.random.default_rng(2).integers(0, 256, 4096, np.uint8).tobytes(),
                       "4 KiB of random bytes"),
        "not_parquet.parquet": (good, "CSV text named .parquet"),
    }


def _corpora() -> dict[str, tuple[str | bytes, str]]:
    text = ("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to "
            "suffer\nThe slings and arrows of outrageous fortune,\n") * 20
    return {
        "corpus_empty.txt": ("", "an empty corpus"),
        "corpus_one_char.txt": ("a", "a corpus of one character"),
        "corpus_binary.bin": (np.random.default_rng(3).integers(0, 256, 4096, np.uint8).tobytes(),
                              "4 KiB of random bytes"),
        "corpus_utf16.txt": (text.encode("utf-16"), "UTF-16 text with a BOM"),
        "corpus_utf8_bom.txt": (b"\xef\xbb\xbf" + text.encode(), "UTF-8 text with a BOM"),
        "corpus_latin1.txt": (("Café, naïve, déjà vu. " * 100).encode("latin-1"),
                              "Latin-1 text"),
        "corpus_one_symbol.txt": ("a" * 4000, "4000 times the same character"),
        "corpus_zip.zip": (_zip({"corpus.txt": text}), "a zip archive of a text file"),
    }


def write_hostile(folder: Path) -> list[Case]:
    """Write every hostile case into ``folder``; return their records, tables first.

    Besides the files: ``directory/`` (a folder passed as a file), ``missing.csv`` (no such
    file) and ``unreadable.csv`` / ``corpus_unreadable.txt`` (mode 000: readable by root all
    the same, so callers skip them when ``os.geteuid() == 0``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases = []
    for flag, made in (("--data", _tables()), ("--corpus", _corpora())):
        for name, (content, what) in made.items():
            path = folder / name
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
            cases.append(Case(name, path, what, flag))
    (folder / "directory").mkdir(exist_ok=True)
    cases += [Case("directory", folder / "directory", "a directory"),
              Case("missing.csv", folder / "missing.csv", "a path that does not exist")]
    for name, flag in (("unreadable.csv", "--data"), ("corpus_unreadable.txt", "--corpus")):
        path = folder / name
        path.write_text(_csv(_good_rows()))
        os.chmod(path, 0)
        cases.append(Case(name, path, "a file without read permission (mode 000)", flag))
    cases.append(Case("corpus_directory", folder / "directory", "a directory", "--corpus"))
    return cases
