"""SpeechRecognizer: transcribe recordings with a bidirectional recurrent acoustic model trained
by CTC on connected strings joined from isolated recordings (:mod:`.data`, :mod:`.model`).

``fit(recordings, transcripts)`` keeps every tenth recording of each transcript aside; the
network learns on fresh connected strings of the rest every epoch (SpecAugment on), and the
epoch of lowest CTC loss on a fixed set of strings joined from the kept-aside recordings is
the one kept. ``transcribe`` decodes greedily or by prefix beam search (:mod:`.decoding`).
"""

import numpy as np
import torch

from rnnkit._checks import InputError
from rnnkit.base import Estimator
from rnnkit.speech.data import StringBatches
from rnnkit.speech.decoding import beam_search, greedy
from rnnkit.speech.features import FeatureConfig, log_mel, mel_filterbank
from rnnkit.speech.model import AcousticModel
from rnnkit.training.loop import TrainConfig, train

VALIDATION_STRINGS = 200


class SpeechRecognizer(Estimator):
    """Recordings in, transcripts out (module docstring); scikit-learn's habits.

    Learned: ``module_`` (the :class:`~rnnkit.speech.model.AcousticModel`), ``history_``.
    """

    fitted_attribute = "module_"

    def __init__(self, labels: str = "0123456789", hidden_size: int = 128, num_layers: int = 2,
                 cell: str = "gru", strings: int = 1600, epochs: int = 12,
                 batch_size: int = 32, learning_rate: float = 3e-3, beam: int = 8,
                 seed: int = 0) -> None:
        self.labels = labels
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.strings = strings
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beam = beam
        self.seed = seed

    def fit(self, recordings: list[np.ndarray], transcripts: list[str],
            on_epoch=None) -> "SpeechRecognizer":
        unknown = sorted({c for t in transcripts for c in t} - set(self.labels))
        if unknown:
            raise InputError(f"transcripts hold {unknown[0]!r}, which is not among the labels "
                             f"{self.labels!r}")
        pool = list(zip(recordings, transcripts, strict=True))
        kept = {t: k for k, (_, t) in enumerate(pool)}  # any recording per transcript
        seen: dict[str, int] = {}
        aside = []
        for k, (_, t) in enumerate(pool):
            seen[t] = seen.get(t, 0) + 1
            if seen[t] % 10 == 0:
                aside.append(k)
        if not aside:
            aside = list(kept.values())
        learn = [p for k, p in enumerate(pool) if k not in set(aside)]
        config = FeatureConfig()
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            module = AcousticModel(config.n_mels, len(self.labels), self.hidden_size,
                                   self.num_layers, self.cell)
        batches = StringBatches(learn, self.labels, self.strings, self.batch_size, self.seed,
                                config)
        val = StringBatches([pool[k] for k in aside], self.labels, VALIDATION_STRINGS,
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


__all__ = ["SpeechRecognizer"]
