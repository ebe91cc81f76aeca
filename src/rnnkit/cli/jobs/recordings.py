"""Recordings as sequences for the classifier: each recording's log-mel frames (T, 40) are one
sequence, its transcript its label (``rnnkit classify --data FOLDER``, and ``rnnkit predict``
with a model trained so).

A folder of labelled recordings (:func:`rnnkit.io.recordings.labelled_recordings`) gives a
training and a test part; to predict, a labelled folder gives all its recordings with their
labels, a folder of other names (or one audio file) gives its recordings without labels.
"""

from pathlib import Path

import numpy as np

from rnnkit._checks import InputError
from rnnkit.io.audio import read_audio
from rnnkit.io.datasets import data_path, is_bundled
from rnnkit.io.recordings import AUDIO_SUFFIXES, labelled_recordings
from rnnkit.io.sequences import LabelledSeries, check_classes, check_test_labels

READING = "recordings"  # the ``format`` a classifier's model folder records for recordings


def holds_recordings(data: str) -> bool:
    """Whether ``data`` names the bundled recordings, a folder of recordings or one recording
    (rather than a file of sequences)."""
    path = Path(data)
    if is_bundled(data, "recordings") or path.suffix.lower() in AUDIO_SUFFIXES:
        return True
    return path.is_dir() and any(p.suffix.lower() in AUDIO_SUFFIXES for p in path.iterdir())


def _sequences(paths: list[Path], labels: list[str] | None, source: str) -> LabelledSeries:
    from rnnkit.speech.features import FeatureConfig, log_mel, mel_filterbank

    config = FeatureConfig()
    bank = mel_filterbank(config)
    frames = tuple(log_mel(read_audio(p, config.rate).samples, config, bank).numpy()
                   .astype(np.float64) for p in paths)
    return LabelledSeries(tuple(p.name for p in paths), frames,
                          None if labels is None else tuple(labels),
                          tuple(f"mel{k}" for k in range(config.n_mels)), source)


def recordings_split(data: str) -> tuple[LabelledSeries, LabelledSeries, str]:
    """The training and test part of a folder of labelled recordings (or the bundled ones),
    checked, and where the test part came from."""
    with data_path(data, "recordings") as folder:
        labelled = labelled_recordings(folder)
        train, test = (_sequences([r.path for r in labelled if r.part == part],
                                  [r.text for r in labelled if r.part == part],
                                  f"{data} ({part})") for part in ("train", "test"))
    check_classes(train)
    check_test_labels(train, test)
    return train, test, f"{data}'s test recordings"


def recordings_to_classify(data: str, part: str | None = None) -> LabelledSeries:
    """The recordings of ``data`` to classify: one file, or a folder's (``part`` of them when
    given, else all), labelled when the folder is."""
    path = Path(data)
    if path.suffix.lower() in AUDIO_SUFFIXES:
        return _sequences([path], None, data)
    with data_path(data, "recordings") as folder:
        if not folder.is_dir():
            raise InputError(f"{data}: no such recording or folder of recordings")
        try:
            labelled = [r for r in labelled_recordings(folder) if part in (None, r.part)]
        except InputError:  # names out of the pattern: recordings without labels
            labelled = None
        if labelled is not None:
            return _sequences([r.path for r in labelled], [r.text for r in labelled], data)
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        if not paths:
            raise InputError(f"{data} holds no recording ({', '.join(AUDIO_SUFFIXES)})")
        return _sequences(paths, None, data)

__all__ = ["READING", "holds_recordings", "recordings_split", "recordings_to_classify"]
