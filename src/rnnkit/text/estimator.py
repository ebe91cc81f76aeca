"""``CharModel``: a character-level language model with scikit-learn habits.

``fit(text)`` learns the vocabulary (every character of the text), holds out the end of the text
(``val_fraction``) for validation, and trains a :class:`rnnkit.nn.models.CharLM` by truncated
BPTT on consecutive chunks (:class:`rnnkit.training.batches.StreamBatches`) with the loss in
nats per character, L = -(1/T) Σ_t log p(x_{t+1} | x_1..x_t). ``generate`` samples from it
(:func:`rnnkit.text.charlm.generate`); ``save`` / ``load`` use the model folder that ``rnnkit
text train`` writes.
"""

from dataclasses import asdict
from pathlib import Path

import numpy as np

from rnnkit._checks import InputError, check_in_range, check_positive_int
from rnnkit.base import Estimator
from rnnkit.nn.init import seeded
from rnnkit.nn.models import CharLM, ModelConfig
from rnnkit.text.charlm import CharVocab, generate, load_char_folder, save_char_model
from rnnkit.training.batches import StreamBatches
from rnnkit.training.loop import TrainConfig, train


def stream_split(ids: np.ndarray, batch_size: int, seq_len: int, val_fraction: float,
                 ) -> tuple[StreamBatches, StreamBatches | None]:
    """Training and validation streams of a text's ids: the last ``val_fraction`` of the text
    validates (None when it is 0); each stream's targets are its inputs shifted by one."""
    cut = len(ids) - int(len(ids) * val_fraction)
    held_out = len(ids) - cut
    if cut - 1 < batch_size * seq_len or (held_out and held_out - 1 < seq_len):
        raise InputError(f"the text's {len(ids)} characters are too few for `batch_size` "
                         f"{batch_size} x `seq_len` {seq_len}"
                         f"{' and a validation part' if held_out else ''}")
    train_batches = StreamBatches(ids[: cut - 1], ids[1:cut], batch_size, seq_len)
    if not held_out:
        return train_batches, None
    val_streams = max(1, min(batch_size, (held_out - 1) // seq_len))
    return train_batches, StreamBatches(ids[cut:-1], ids[cut + 1 :], val_streams, seq_len)


class CharModel(Estimator):
    """A character-level language model: ``fit(text)``, ``generate``, ``save``, ``load``.

    Parameters
    ----------
    network : the recurrent stack (``cell``, ``hidden_size``, ``num_layers``, ...).
    train : the training loop's settings; ``train.seed`` draws the initial weights and orders
        nothing else (the streams are consecutive).
    seq_len : truncated-BPTT chunk length k1, in characters.
    val_fraction : the end of the text held out for validation, in [0, 0.5).

    Fitted: ``vocab_`` (:class:`~rnnkit.text.charlm.CharVocab`), ``module_`` (the CharLM, in
    eval mode) and ``history_`` (the training History).

    Example
    -------
    >>> model = CharModel(ModelConfig(hidden_size=16), TrainConfig(epochs=2, batch_size=2),
    ...                   seq_len=8, val_fraction=0.0).fit("abcabcabc " * 20)
    >>> len(model.vocab_), len(model.generate("ab", 5, seed=0))
    (4, 5)
    """

    fitted_attribute = "history_"

    def __init__(self, network: ModelConfig = ModelConfig(),
                 train: TrainConfig = TrainConfig(), seq_len: int = 128,
                 val_fraction: float = 0.1) -> None:
        self.network = network
        self.train = train
        self.seq_len = seq_len
        self.val_fraction = val_fraction

    def _build(self, vocab_size: int) -> CharLM:
        with seeded(self.train.seed):
            return CharLM(vocab_size, **asdict(self.network))

    def fit(self, text: str, *, checkpoint_dir: str | Path | None = None, resume: bool = False,
            on_epoch=None, record: dict | None = None, device: str = "cpu") -> "CharModel":
        """Learn the vocabulary of ``text`` and train on all of it but its held-out end."""
        check_positive_int("seq_len", self.seq_len)
        check_in_range("val_fraction", self.val_fraction, 0.0, 0.5, high_open=True)
        if not isinstance(text, str):
            raise InputError(f"text must be a str, got {type(text).__name__}")
        vocab = CharVocab.from_text(text)  # over the whole text: characters, not statistics
        train_batches, val_batches = stream_split(
            vocab.encode(text), self.train.batch_size, self.seq_len, self.val_fraction)
        module = self._build(len(vocab)).to(device)
        history = train(module, train_batches, self.train, val_batches=val_batches,
                        checkpoint_dir=checkpoint_dir, resume=resume, on_epoch=on_epoch,
                        record=record)
        self.vocab_, self.module_ = vocab, module.eval()
        self.history_ = history
        return self

    def generate(self, prompt: str, length: int, *, temperature: float = 0.8, top_k: int = 0,
                 seed: int = 0, on_text=None) -> str:
        """``length`` characters sampled after ``prompt`` (without it); see
        :func:`rnnkit.text.charlm.generate`."""
        self.check_fitted()
        return generate(self.module_, self.vocab_, prompt, length, temperature=temperature,
                        top_k=top_k, seed=seed, on_text=on_text)

    def save(self, path: str | Path, prompt: str = "", run: dict | None = None) -> None:
        """Write the fitted model as the model folder ``rnnkit text train`` writes, with
        ``prompt`` as its default and the hyperparameters for ``load``."""
        self.check_fitted()
        save_char_model(path, self.module_, self.vocab_, self.network, prompt, run,
                        params={"train": asdict(self.train), "seq_len": self.seq_len,
                                "val_fraction": self.val_fraction})

    @classmethod
    def load(cls, path: str | Path) -> "CharModel":
        """Rebuild a fitted model from a folder written by ``save`` or ``rnnkit text train``
        (whose folders record the network only: the other hyperparameters are the defaults).
        ``prompt_`` is the folder's default prompt."""
        module, vocab, prompt, network, params = load_char_folder(path)
        model = cls(network, **params)
        model.vocab_, model.module_, model.prompt_ = vocab, module, prompt
        model.history_ = None
        return model


__all__ = ["CharModel", "stream_split"]
