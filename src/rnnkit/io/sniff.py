"""How a text table is written: its encoding and compression, its separator and decimal mark.

:func:`decode` turns a file's bytes into text (UTF-8 with or without a BOM, UTF-16 with a BOM,
gzip) and refuses archives, spreadsheets and Parquet with a hint (:func:`refuse_binary`);
:func:`sniff_sep` and :func:`sniff_decimal` find the separator and the decimal mark
:mod:`rnnkit.io.tables` reads it with, :func:`header_names` checks its header (no name twice);
:func:`as_float` and :func:`as_datetime` read its cells (numbers with thousands marks, times
with different UTC offsets).
"""

import csv
import gzip
import io
import os
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit._checks import InputError

PathLike = str | os.PathLike[str]
SEPARATORS = (",", ";", "\t", "|")  # what sep=None chooses from; the first wins a tie
_SNIFF_RECORDS = 50  # header + data records that decide the separator
_COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+(?:[eE][+-]?\d+)?"  # 12,5 -3,25e2 1.234,5
GROUPED = {  # decimal mark: a number with thousands marks (3 digits a group), e.g. 1,234.5
    ".": r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?",
    ",": r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?",
}
_UTC_OFFSET = r".*\d(?:Z|[+-]\d\d(?::?\d\d)?)"  # an ISO 8601 time ending in its offset
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_SAVE_AS_CSV = "open it in Excel or LibreOffice and save the sheet as CSV (UTF-8)"
_ARCHIVES = {  # leading magic bytes: what the file is, what to do about it ({kind}: CSV, text)
    b"PK\x03\x04": ("a zip archive", "extract the {kind} first"),
    b"PK\x05\x06": ("an empty zip archive", "extract the {kind} first"),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": ("an Excel 97-2003 workbook (.xls) or another OLE2 "
                                        "document", _SAVE_AS_CSV),
    b"BZh": ("bzip2-compressed", "decompress it first (bunzip2), or gzip it"),
    b"\xfd7zXZ\x00": ("xz-compressed", "decompress it first (unxz), or gzip it"),
    b"7z\xbc\xaf\x27\x1c": ("a 7z archive", "extract the {kind} first"),
    b"\x28\xb5\x2f\xfd": ("zstd-compressed", "decompress it first (unzstd), or gzip it"),
}


def decode(path: PathLike, data: bytes) -> tuple[str, str, str]:
    """The file as text, its encoding and its compression ("gzip" or ""); archives refused."""
    compression = ""
    if data[:2] == b"\x1f\x8b" or Path(path).suffix.lower() == ".gz":
        try:
            data, compression = gzip.decompress(data), "gzip"
        except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
            raise InputError(f"{path} is not a readable gzip file ({e})") from None
    refuse_binary(path, data)
    encoding, skip = next(((name, len(bom)) for bom, name in _BOMS if data.startswith(bom)),
                          ("utf-8", 0))
    why = ""
    try:
        text = data[skip:].decode(encoding.removesuffix("-sig"))
    except UnicodeDecodeError as e:
        why = f"byte {e.start + skip} is not {encoding.removesuffix('-sig').upper()}"
    else:
        if "\x00" in text:  # valid UTF-8, but binary or UTF-16 without a BOM
            why = f"byte {data.index(0)} is NUL, as in binary files and UTF-16 without a BOM"
    if why:
        raise InputError(f"{path}: cannot decode it ({why}); rnnkit reads UTF-8 (with or "
                         "without a BOM) and UTF-16 with a BOM")
    return text, encoding, compression


def refuse_binary(path: PathLike, data: bytes, kind: str = "CSV") -> None:
    """Raise if ``data`` starts as an archive, a compressed file, a spreadsheet or Parquet does,
    saying what it is and what to do instead (``kind``: what to extract, "CSV" or "text")."""
    for magic, (what, advice) in _ARCHIVES.items():
        if data.startswith(magic):
            sheet = _spreadsheet(data) if magic == b"PK\x03\x04" else ""
            if sheet:
                what, advice = sheet, _SAVE_AS_CSV
            raise InputError(f"{path} is {what}: {advice.format(kind=kind)}")
    if data[257:262] == b"ustar":  # POSIX tar header, e.g. a .tar.gz named .csv.gz
        raise InputError(f"{path} is a tar archive: extract the {kind} first")
    if data.startswith(b"PAR1") and data.endswith(b"PAR1"):  # a header cell may be PAR1 too
        raise InputError(f"{path} is a Parquet file: rnnkit reads Parquet uncompressed from a "
                         f"file named .parquet (Parquet compresses its own columns): "
                         f"{'decompress it and ' if str(path).endswith('.gz') else ''}"
                         f"name it .parquet")


def _spreadsheet(data: bytes) -> str:
    """What spreadsheet a zip archive holds (an Office Open XML or OpenDocument one), or ""."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if any(name.startswith("xl/") for name in names):
                return "an Excel workbook (.xlsx)"
            if "mimetype" in names and archive.read("mimetype").startswith(
                    b"application/vnd.oasis.opendocument.spreadsheet"):
                return "an OpenDocument spreadsheet (.ods)"
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,  # damaged,
            NotImplementedError, zlib.error):  # encrypted or oddly compressed: still a zip
        pass
    return ""


def sniff_sep(text: str) -> str:
    """The separator that splits the most sampled data records into as many cells as the header.

    A candidate must split the header in two or more; ties go to more header cells, then to
    the order of SEPARATORS. With none, ",". csv.reader keeps quoted separators in their cell.
    """
    limit = 1 << 16  # enough for _SNIFF_RECORDS records; the last one may be cut
    sample = text if len(text) <= limit else text[:text.rfind("\n", 0, limit) + 1] or text
    best, best_score = ",", (-1, 0)
    for sep in SEPARATORS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=sep)
                       if any(cell.strip() for cell in r)][:_SNIFF_RECORDS]
        except csv.Error:  # e.g. a quoted cell longer than csv's field limit
            continue
        if not records or len(records[0]) < 2:
            continue
        score = (sum(len(r) == len(records[0]) for r in records[1:]), len(records[0]))
        if score > best_score:
            best, best_score = sep, score
    return best


def header_cells(text: str, sep: str) -> list[str]:
    """The header's names as written (pandas renames repeats: Close, Close.1); empty ones left
    out."""
    try:
        header = next((r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if r),
                      [])
    except csv.Error:  # pandas read it, so the names are in its columns already
        return []
    return [name for name in header if name.strip()]


def header_names(path: PathLike, names: Sequence[object]) -> list[str]:
    """Header names without surrounding spaces; two names equal after trimming are an error."""
    trimmed = [str(n).strip() for n in names]
    for k, name in enumerate(trimmed):
        if name in trimmed[:k]:
            raise InputError(f"{path}: the header has two columns named {name!r}")
    return trimmed


def sniff_decimal(raw: pd.DataFrame, sep: str) -> str:
    """"," when ``sep`` is not "," and some cell is a comma-decimal number, else "."."""
    if sep == ",":
        return "."
    found = any(raw[c].str.fullmatch(_COMMA_NUMBER).fillna(False).any() for c in raw.columns)
    return "," if found else "."


def is_grouped(cells: pd.Series, decimal: str) -> pd.Series:
    """Which cells are numbers with thousands marks (``GROUPED[decimal]``), e.g. 1,234.5."""
    if not pd.api.types.is_string_dtype(cells):
        return pd.Series(False, index=cells.index)
    return cells.str.fullmatch(GROUPED[decimal]).fillna(False).astype(bool)


def as_float(cells: pd.Series, decimal: str = ".") -> np.ndarray:
    """Cells as float64, NaN where a cell is empty or not a number (in ``decimal``'s notation).

    Example
    -------
    >>> as_float(pd.Series(["1,234.5", "12,5", "-3", None])).tolist()
    [1234.5, nan, -3.0, nan]
    >>> as_float(pd.Series(["1.234,5", "12,5", "1.5"]), decimal=",").tolist()
    [1234.5, 12.5, nan]
    """
    if pd.api.types.is_string_dtype(cells):  # the values, not just object
        grouped = is_grouped(cells, decimal)
        if grouped.any():  # 1,234.5 -> 1234.5; only there: 12,5 stays no number
            mark = "," if decimal == "." else "."
            cells = cells.where(~grouped, cells.str.replace(mark, "", regex=False))
        if decimal == ",":  # "12,5" -> "12.5"; a "." is no decimal mark here: "1.5" -> "1_5"
            cells = cells.str.replace(".", "_", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def as_datetime(cells: pd.Series, **options) -> pd.Series:
    """pandas' dates (NaT where a cell is not one); in UTC where the cells' UTC offsets differ
    (a cell without an offset among them is NaT). ``options`` go to ``pd.to_datetime``."""
    with warnings.catch_warnings():  # pandas warns when a text column has no date format
        warnings.simplefilter("ignore", UserWarning)
        try:
            return pd.to_datetime(cells, errors="coerce", **options)
        except ValueError:  # "Mixed timezones detected": all with an offset, or refused below
            utc = pd.to_datetime(cells, errors="coerce", utc=True, **options)
            aware = cells.astype("string").str.fullmatch(_UTC_OFFSET).fillna(False)
            return utc.where(aware.to_numpy(dtype=bool))
