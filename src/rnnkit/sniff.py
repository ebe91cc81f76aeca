"""How a text table is written: its encoding and compression, its separator and decimal mark.

:func:`decode` turns a file's bytes into text (UTF-8 with or without a BOM, UTF-16 with a BOM,
gzip) and refuses archives with a hint; :func:`sniff_sep` and :func:`sniff_decimal` find the
separator and the decimal mark :mod:`rnnkit.tables` reads it with.
"""

import csv
import gzip
import io
import os
import zlib
from pathlib import Path

import pandas as pd

from rnnkit._checks import InputError

PathLike = str | os.PathLike[str]
SEPARATORS = (",", ";", "\t", "|")  # what sep=None chooses from; the first wins a tie
_SNIFF_RECORDS = 50  # header + data records that decide the separator
_COMMA_NUMBER = r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?"  # 12,5  -3,25e2
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_ARCHIVES = {  # leading magic bytes: what the file is, what to do about it
    b"PK\x03\x04": ("a zip archive", "extract the CSV first"),
    b"PK\x05\x06": ("an empty zip archive", "extract the CSV first"),
    b"BZh": ("bzip2-compressed", "decompress it first (bunzip2), or gzip it"),
    b"\xfd7zXZ\x00": ("xz-compressed", "decompress it first (unxz), or gzip it"),
    b"7z\xbc\xaf\x27\x1c": ("a 7z archive", "extract the CSV first"),
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
    for magic, (what, advice) in _ARCHIVES.items():
        if data.startswith(magic):
            raise InputError(f"{path} is {what}: {advice}")
    if data[257:262] == b"ustar":  # POSIX tar header, e.g. a .tar.gz named .csv.gz
        raise InputError(f"{path} is a tar archive: extract the CSV first")
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


def sniff_decimal(raw: pd.DataFrame, sep: str) -> str:
    """"," when ``sep`` is not "," and some cell is a comma-decimal number, else "."."""
    if sep == ",":
        return "."
    found = any(raw[c].str.fullmatch(_COMMA_NUMBER).fillna(False).any() for c in raw.columns)
    return "," if found else "."
