"""The jobs of ``rnnkit speech``: train a recogniser on labelled recordings, and transcribe."""

from dataclasses import dataclass

from rnnkit._checks import InputError, check_positive_int
from rnnkit._fields import opt
from rnnkit.cli.config.base import Job, section
from rnnkit.io.datasets import described
from rnnkit.speech.recognizer import SpeechConfig
from rnnkit.training.runtime import RuntimeConfig


@dataclass(frozen=True)
class SpeechTrainJob(Job):
    """Train a bidirectional recurrent recogniser with CTC on connected strings joined from
    labelled recordings, and score it on the test part: isolated and connected."""

    data: str = opt("fsdd", f"{described('recordings')}, or a folder of recordings (WAV, FLAC, "
                    "OGG) labelled by a transcripts.csv (file, text, optional split) or by "
                    "their names, {text}_{speaker}_{index}.wav (index 0-4: the test part)")
    test_strings: int = opt(300, "connected test strings of 3-7 digits joined from the test "
                            "recordings only")
    out: str = opt("runs/speech", "output folder: model/, metrics.json, transcripts.csv, "
                   "alignment.png, loss.png")
    progress: bool = opt(True, "show a progress bar")
    speech: SpeechConfig = section(SpeechConfig())
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_positive_int("test_strings", self.test_strings)


@dataclass(frozen=True)
class SpeechTranscribeJob(Job):
    """Transcribe recordings with a trained recogniser: one line per file, file<TAB>text."""

    files: tuple[str, ...] = opt((), "the recordings (WAV, FLAC, OGG; another rate is "
                                 "resampled, stereo mixed down)", positional="many")
    model: str = opt("runs/speech/model", "folder written by `rnnkit speech train` (model/)")
    beam: int = opt(0, "prefix beam search width; 1 = greedy; 0 = the model's")
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", tuple(self.files))  # argparse hands a list
        if not self.files:
            raise InputError("files: name at least one recording to transcribe")
        if self.beam:
            check_positive_int("beam", self.beam)


__all__ = ["SpeechTrainJob", "SpeechTranscribeJob"]
