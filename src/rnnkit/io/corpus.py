"""A text corpus for a character-level language model: a UTF-8 or UTF-16 text file."""

from rnnkit._checks import InputError
from rnnkit.io.parsing import read_bytes
from rnnkit.io.sniff import PathLike, refuse_binary


def read_corpus(corpus: PathLike) -> str:
    """The text of a file: UTF-8 (a BOM is dropped) or UTF-16 with a BOM.

    Raises
    ------
    InputError
        One line starting ```corpus```: the file cannot be read (missing, a folder, no
        permission), is an archive, has NUL bytes (binary), is not UTF-8, or is empty.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "poem.txt"
    >>> _ = path.write_bytes("\\ufeffTo be".encode("utf-16-le"))
    >>> read_corpus(path)
    'To be'
    """
    data = read_bytes(corpus, f"`corpus`: {corpus}")
    refuse_binary(f"`corpus`: {corpus}", data, "text")
    text = _utf16(data)
    if text is None:
        if b"\x00" in data:
            raise InputError(f"`corpus`: {corpus} looks binary (it has NUL bytes), not text")
        skip = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        try:
            text = data[skip:].decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"`corpus`: {corpus} is not UTF-8 text (byte "
                             f"{err.start + skip})") from None
    if not text:
        raise InputError(f"`corpus`: {corpus} is empty")
    return text


def _utf16(data: bytes) -> str | None:
    """The text of UTF-16 bytes that start with a BOM; None for anything else (or binary)."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[2:].decode(encoding)
            except UnicodeDecodeError:  # not UTF-16 after all
                return None
            return None if "\x00" in text else text
    return None
