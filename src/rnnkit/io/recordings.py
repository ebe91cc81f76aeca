"""A folder of labelled recordings: which file says what, and which part it belongs to.

Labels come from ``transcripts.csv`` in the folder (columns ``file`` and ``text``, and an
optional ``split`` of ``train`` / ``test``), else from each file's name in the Free Spoken
Digit Dataset's pattern ``{text}_{speaker}_{index}.wav`` (FLAC and OGG too), whose own split
puts the recordings of index 0-4 in the test part. Without a split column a transcripts file's
every tenth row (in file order) is a test row.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("3_ann_0.wav", "3_ann_7.wav", "notes.txt"):
...     _ = (folder / name).write_bytes(b"")
>>> [(r.path.name, r.text, r.speaker, r.part) for r in labelled_recordings(folder)]
[('3_ann_0.wav', '3', 'ann', 'test'), ('3_ann_7.wav', '3', 'ann', 'train')]
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rnnkit._checks import InputError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
NAME_PATTERN = re.compile(r"^(?P<text>[^_]+)_(?P<speaker>[^_]+)_(?P<index>\d+)$")
TEST_INDICES = 5  # FSDD: the recordings of index 0-4 are the test part
TRANSCRIPTS = "transcripts.csv"


@dataclass(frozen=True)
class LabelledRecording:
    """One recording of a folder: its path, its transcript, its speaker ("" when not known)
    and its part (``train`` or ``test``)."""

    path: Path
    text: str
    speaker: str
    part: str


def labelled_recordings(folder: str | Path) -> list[LabelledRecording]:
    """Every labelled recording under ``folder``, sorted by path (module docstring).

    Raises
    ------
    InputError
        No such folder; no recording in it; a name out of the pattern (without
        transcripts.csv); a transcripts.csv without ``file`` and ``text`` columns, naming a
        file that is not there, or with a ``split`` other than train / test.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of recordings")
    if (folder / TRANSCRIPTS).is_file():
        return _from_transcripts(folder)
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    if not found:
        raise InputError(f"{folder} holds no recording ({', '.join(AUDIO_SUFFIXES)})")
    recordings = []
    for path in found:
        match = NAME_PATTERN.match(path.stem)
        if match is None:
            raise InputError(f"{path}: the name is not {{text}}_{{speaker}}_{{index}} (e.g. "
                             f"3_jackson_12.wav); or label the folder with a {TRANSCRIPTS} of "
                             "file and text")
        part = "test" if int(match["index"]) < TEST_INDICES else "train"
        recordings.append(LabelledRecording(path, match["text"], match["speaker"], part))
    return recordings


def _from_transcripts(folder: Path) -> list[LabelledRecording]:
    table = pd.read_csv(folder / TRANSCRIPTS, dtype=str, keep_default_na=False)
    where = folder / TRANSCRIPTS
    missing = {"file", "text"} - set(table.columns)
    if missing:
        raise InputError(f"{where} has no {sorted(missing)[0]!r} column (it needs file and "
                         "text)")
    splits = set(table.get("split", pd.Series(dtype=str))) - {"train", "test"}
    if splits:
        raise InputError(f"{where}: split must be train or test, not {sorted(splits)[0]!r}")
    recordings = []
    for row, (file, text) in enumerate(zip(table["file"], table["text"], strict=True)):
        path = folder / file
        if not path.is_file():
            raise InputError(f"{where} line {row + 2}: no file {file!r} in {folder}")
        part = table["split"].iloc[row] if "split" in table else (
            "test" if row % 10 == 9 else "train")
        recordings.append(LabelledRecording(path, text.strip(), "", part))
    return sorted(recordings, key=lambda r: r.path)


__all__ = ["AUDIO_SUFFIXES", "LabelledRecording", "labelled_recordings"]
