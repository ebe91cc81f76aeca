"""The jobs of ``rnnkit translate``: train a translator on sentence pairs, and translate."""

from dataclasses import dataclass

from rnnkit._checks import InputError, check_in_range, check_positive_int
from rnnkit._fields import opt
from rnnkit.cli.config.base import Job, section
from rnnkit.io.datasets import described
from rnnkit.training.runtime import RuntimeConfig
from rnnkit.translate.translator import TranslateConfig


@dataclass(frozen=True)
class TranslateTrainJob(Job):
    """Train an encoder-decoder with attention on sentence pairs, and score its translations
    of held-out source sentences (BLEU, chrF against all their references) beside copying
    the source and a word-by-word dictionary."""

    data: str = opt("eng-fra", f"{described('pairs')}, or a file of pairs, one a line: "
                    "source<TAB>target (more columns are ignored; .gz is read)")
    test_fraction: float = opt(0.05, "share of the distinct source sentences held out for the "
                               "test, each with all its translations as references")
    examples: int = opt(4, "test sentences drawn in attention.png")
    out: str = opt("runs/translate", "output folder: model/, metrics.json, translations.csv, "
                   "attention.png, loss.png")
    resume: bool = opt(False, "continue from OUT/checkpoints/last if it exists")
    progress: bool = opt(True, "show a progress bar")
    translate: TranslateConfig = section(TranslateConfig())
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        check_in_range("test_fraction", self.test_fraction, 0.0, 0.5, low_open=True)
        check_positive_int("examples", self.examples)


@dataclass(frozen=True)
class TranslateJob(Job):
    """Translate sentences with a trained translator: one translation a line, in the order
    given (`rnnkit translate train` trains one)."""

    sentences: tuple[str, ...] = opt((), "the sentences to translate (or --input)",
                                     positional="many")
    model: str = opt("runs/translate/model", "folder written by `rnnkit translate train` "
                     "(model/)")
    input: str = opt("", "a file of sentences, one a line, instead of sentences on the "
                     "command line")
    beam: int = opt(0, "beam width; 1 = greedy; 0 = the model's")
    runtime: RuntimeConfig = section(RuntimeConfig())

    def __post_init__(self) -> None:
        object.__setattr__(self, "sentences", tuple(self.sentences))  # argparse hands a list
        if bool(self.sentences) == bool(self.input):
            raise InputError("sentences: give the sentences to translate, or --input FILE, "
                             "not both" if self.sentences else "sentences: give the "
                             "sentences to translate, or --input FILE with one a line")
        if self.beam:
            check_positive_int("beam", self.beam)


__all__ = ["TranslateJob", "TranslateTrainJob"]
