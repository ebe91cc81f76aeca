"""SpeechRecognizer: transcribe recordings with a bidirectional recurrent acoustic model trained
by CTC on connected strings joined from isolated recordings (:mod:`.data`, :mod:`.model`).

``fit(recordings, transcripts)`` keeps every tenth recording of each transcript aside
(:func:`validation_rows`); the network learns on fresh connected strings of the rest every
epoch (SpecAugment on, and speed perturbation when asked), and the epoch of lowest CTC loss
on a fixed set of strings joined from the kept-aside recordings is the one kept.
``transcribe`` decodes greedily or by prefix beam search (:mod:`.decoding`).
"""

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit._checks import InputError, check_choice, check_in_range, check_positive_int
from rnnkit._fields import opt
from rnnkit.base import Estimator
from rnnkit.io.files import load_model, rebuilding, save_model
from rnnkit.speech.data import StringBatches
from rnnkit.speech.decoding import beam_search, greedy
from rnnkit.speech.features import FeatureConfig, log_mel, mel_filterbank
from rnnkit.speech.model import AcousticModel
from rnnkit.training.loop import TrainConfig, train

VALIDATION_STRINGS = 200


@dataclass(frozen=True)
class SpeechConfig:
    """The settings of :class:`SpeechRecognizer` (its parameters, with their checks and help)."""

    labels: str = opt("0123456789", "the characters a transcript may hold, in the order of "
                      "the network's outputs (after CTC's blank)")
    hidden_size: int = opt(128, "hidden units per direction of each recurrent layer")
    num_layers: int = opt(2, "stacked bidirectional layers")
    cell: str = opt("gru", "the recurrent cell", ("gru", "lstm"))
    strings: int = opt(800, "connected strings (1-7 recordings) drawn afresh every epoch")
    epochs: int = opt(25, "passes, each over freshly drawn strings")
    batch_size: int = opt(32, "strings per optimizer step")
    learning_rate: float = opt(3e-3, "peak learning rate (Adam, cosine schedule)")
    perturb: float = opt(0.0, "speed perturbation: each training recording played at 1 - p, "
                         "1 or 1 + p times its speed, drawn afresh; 0 = off")
    beam: int = opt(8, "prefix beam search width when transcribing; 1 = greedy")
    seed: int = opt(0, "seeds the weights, the strings and the masks")

    def __post_init__(self) -> None:
        if not self.labels or len(set(self.labels)) != len(self.labels):
            raise InputError(f"labels must be distinct characters, got {self.labels!r}")
        for name in ("hidden_size", "num_layers", "strings", "epochs", "batch_size", "beam"):
            check_positive_int(name, getattr(self, name))
        check_choice("cell", self.cell, ("gru", "lstm"))
        check_in_range("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        check_in_range("perturb", self.perturb, 0.0, 0.5)


def validation_rows(transcripts: list[str]) -> list[int]:
    """Every tenth recording of each transcript; the last of each when there are fewer.

    >>> validation_rows(["1"] * 12 + ["2", "2"])
    [9, 13]
    """
    rows, seen, last = [], {}, {}
    for k, text in enumerate(transcripts):
        seen[text] = seen.get(text, 0) + 1
        last[text] = k
        if seen[text] % 10 == 0:
            rows.append(k)
    return sorted(rows + [last[t] for t, count in seen.items() if count < 10])


class SpeechRecognizer(Estimator):
    """Recordings in, transcripts out (module docstring); scikit-learn's habits.

    Parameters: the fields of :class:`SpeechConfig`. Learned: ``module_`` (the
    :class:`~rnnkit.speech.model.AcousticModel`), ``config_`` (the features' settings),
    ``history_``.
    """

    fitted_attribute = "module_"

    def __init__(self, labels: str = "0123456789", hidden_size: int = 128, num_layers: int = 2,
                 cell: str = "gru", strings: int = 800, epochs: int = 25,
                 batch_size: int = 32, learning_rate: float = 3e-3, perturb: float = 0.0,
                 beam: int = 8, seed: int = 0) -> None:
        self.labels = labels
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.strings = strings
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.perturb = perturb
        self.beam = beam
        self.seed = seed

    def fit(self, recordings: list[np.ndarray], transcripts: list[str],
            on_epoch=None) -> "SpeechRecognizer":
        """Learn from isolated ``recordings`` (mono samples at 8 kHz) and their
        ``transcripts``; ``on_epoch`` sees each epoch's record (module docstring)."""
        SpeechConfig(**self.get_params())  # checks every parameter
        unknown = sorted({c for t in transcripts for c in t} - set(self.labels))
        if unknown:
            raise InputError(f"transcripts hold {unknown[0]!r}, which is not among the labels "
                             f"{self.labels!r}")
        pool = list(zip(recordings, transcripts, strict=True))
        aside = set(validation_rows(transcripts))
        learn = [p for k, p in enumerate(pool) if k not in aside]
        config = FeatureConfig()
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            module = AcousticModel(config.n_mels, len(self.labels), self.hidden_size,
                                   self.num_layers, self.cell)
        batches = StringBatches(learn, self.labels, self.strings, self.batch_size, self.seed,
                                config, perturb=self.perturb)
        val = StringBatches([pool[k] for k in sorted(aside)], self.labels, VALIDATION_STRINGS,
                            self.batch_size, self.seed + 1, config, augment=False,
                            fixed=True)
        history = train(module, batches, TrainConfig(
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            grad_clip=5.0, patience=0, seed=self.seed), val_batches=val, on_epoch=on_epoch)
        self.config_, self.history_ = config, history
        self.module_ = module.eval()
        return self

    def log_probs(self, waveforms: list[np.ndarray]) -> list[np.ndarray]:
        """Each waveform's (S, 1 + V) log-probabilities (blank first)."""
        self.check_fitted()
        bank = mel_filterbank(self.config_)
        frames = [log_mel(w, self.config_, bank) for w in waveforms]
        lengths = torch.tensor([len(f) for f in frames])
        x = torch.zeros(len(frames), int(lengths.max()), frames[0].shape[1])
        for b, f in enumerate(frames):
            x[b, : len(f)] = f
        with torch.no_grad():
            out, out_lengths = self.module_.log_probs(x, lengths)
        return [out[b, : n].numpy() for b, n in enumerate(out_lengths.tolist())]

    def transcribe(self, waveforms: list[np.ndarray], beam: int | None = None) -> list[str]:
        """Each waveform's transcript: prefix beam search of ``beam`` (default the
        recognizer's; 1 = greedy)."""
        width = self.beam if beam is None else beam
        texts = []
        for lp in self.log_probs(waveforms):
            ids = greedy(lp) if width <= 1 else beam_search(lp, width)
            texts.append("".join(self.labels[k - 1] for k in ids))
        return texts


    def save(self, folder: str | Path, run: dict | None = None) -> None:
        """Write the model folder (safetensors + JSON: the parameters, the features' settings
        and ``run``, e.g. the command that trained it)."""
        self.check_fitted()
        save_model(folder, "SpeechRecognizer", self.module_.state_dict(),
                   {"params": self.get_params(), "features": asdict(self.config_),
                    "run": run or {}})

    @classmethod
    def load(cls, folder: str | Path) -> "SpeechRecognizer":
        """The fitted recognizer of a folder written by :meth:`save` (``history_`` is None)."""
        tensors, config = load_model(folder, "SpeechRecognizer")
        with rebuilding(folder):
            recognizer = cls(**config["params"])
            features = FeatureConfig(**config["features"])
            module = AcousticModel(features.n_mels, len(recognizer.labels),
                                   recognizer.hidden_size, recognizer.num_layers,
                                   recognizer.cell)
            module.load_state_dict(tensors)
        recognizer.config_, recognizer.history_ = features, None
        recognizer.module_ = module.eval()
        return recognizer


__all__ = ["SpeechConfig", "SpeechRecognizer", "validation_rows"]
