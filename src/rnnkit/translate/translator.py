"""Translator: sentences in one language in, sentences in another out, with a
:class:`~rnnkit.seq2seq.Seq2Seq` over subword vocabularies (:mod:`.tokens`).

``fit(sources, targets)`` learns a SentencePiece vocabulary for each side from the training
pairs only, keeps about 3% of the distinct source sentences (every translation of each) aside
for validation, and trains with teacher forcing (its ratio going linearly from
``teacher_forcing`` at the first epoch to ``teacher_forcing_final`` at the last): the epoch of
lowest validation loss is the one kept, and each epoch's greedy BLEU on up to 300 of the
kept-aside sentences is recorded. ``translate`` decodes by beam search with the length penalty
of :mod:`rnnkit.seq2seq.search`, many sentences at once.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit._checks import (
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit._fields import opt
from rnnkit.base import Estimator
from rnnkit.io.files import load_model, rebuilding, save_model
from rnnkit.seq2seq import Seq2Seq, beam_search, greedy
from rnnkit.seq2seq.attention import ATTENTIONS
from rnnkit.training.loop import TrainConfig, train
from rnnkit.translate.batches import PairBatches, padded
from rnnkit.translate.pairs import Pairs, references, split_by_source
from rnnkit.translate.scores import corpus_scores
from rnnkit.translate.tokens import Subwords, check_known

VALIDATION_SHARE = 0.03  # of the distinct training sources, kept aside
VALIDATION_BLEU_SENTENCES = 300  # translated greedily after every epoch
CHUNK = 200  # sentences decoded at once


@dataclass(frozen=True)
class TranslateConfig:
    """The settings of :class:`Translator` (its parameters, with their checks and help)."""

    vocab_size: int = opt(4000, "subword pieces per language (SentencePiece BPE, learned on "
                          "the training pairs only)")
    embedding_size: int = opt(256, "width of the token embeddings")
    hidden_size: int = opt(256, "hidden units of the decoder and of each encoder direction")
    num_layers: int = opt(1, "stacked recurrent layers of the encoder and of the decoder")
    cell: str = opt("gru", "the recurrent cell", ("gru", "lstm"))
    attention: str = opt("multiplicative", "multiplicative (Luong) or additive (Bahdanau)",
                         ATTENTIONS)
    dropout: float = opt(0.2, "dropout on embeddings and attentional states")
    tie: bool = opt(True, "share the target embedding with the output layer")
    label_smoothing: float = opt(0.1, "share of each token's loss spread over the vocabulary")
    teacher_forcing: float = opt(1.0, "probability of feeding the reference's previous token "
                                 "(else the model's guess) at the first epoch")
    teacher_forcing_final: float = opt(1.0, "the same at the last epoch; linear in between")
    epochs: int = opt(8, "passes over the training pairs")
    batch_size: int = opt(64, "pairs per optimizer step")
    learning_rate: float = opt(2e-3, "peak learning rate (Adam, cosine schedule)")
    beam: int = opt(5, "beam width when translating; 1 = greedy")
    alpha: float = opt(0.6, "length penalty exponent α of the beam's ranking; 0 = none")
    seed: int = opt(0, "seeds the weights, the batches and the dropout")

    def __post_init__(self) -> None:
        for name in ("embedding_size", "hidden_size", "num_layers", "epochs", "batch_size",
                     "beam"):
            check_positive_int(name, getattr(self, name))
        check_in_range("vocab_size", self.vocab_size, 16, 1_000_000)
        check_choice("cell", self.cell, ("gru", "lstm"))
        check_choice("attention", self.attention, ATTENTIONS)
        check_in_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_in_range("label_smoothing", self.label_smoothing, 0.0, 1.0, high_open=True)
        check_in_range("teacher_forcing", self.teacher_forcing, 0.0, 1.0)
        check_in_range("teacher_forcing_final", self.teacher_forcing_final, 0.0, 1.0)
        check_in_range("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        check_in_range("alpha", self.alpha, 0.0, 5.0)
        check_non_negative_int("seed", self.seed)


class Translator(Estimator):
    """Sentences in, translations out (module docstring); scikit-learn's habits.

    Parameters: the fields of :class:`TranslateConfig`. Learned: ``source_`` and ``target_``
    (:class:`~rnnkit.translate.tokens.Subwords`), ``module_`` (the Seq2Seq), ``history_``
    (each epoch's losses and validation BLEU).
    """

    fitted_attribute = "module_"

    def __init__(self, vocab_size: int = 4000, embedding_size: int = 256,
                 hidden_size: int = 256, num_layers: int = 1, cell: str = "gru",
                 attention: str = "multiplicative", dropout: float = 0.2, tie: bool = True,
                 label_smoothing: float = 0.1, teacher_forcing: float = 1.0,
                 teacher_forcing_final: float = 1.0, epochs: int = 8, batch_size: int = 64,
                 learning_rate: float = 2e-3, beam: int = 5, alpha: float = 0.6,
                 seed: int = 0) -> None:
        self.vocab_size = vocab_size
        self.embedding_size = embedding_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.attention = attention
        self.dropout = dropout
        self.tie = tie
        self.label_smoothing = label_smoothing
        self.teacher_forcing = teacher_forcing
        self.teacher_forcing_final = teacher_forcing_final
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beam = beam
        self.alpha = alpha
        self.seed = seed

    def _network(self, source_vocab: int, target_vocab: int) -> Seq2Seq:
        return Seq2Seq(source_vocab, target_vocab, self.embedding_size, self.hidden_size,
                       self.num_layers, self.cell, self.attention, self.dropout, self.tie,
                       self.label_smoothing)

    def fit(self, sources: list[str], targets: list[str], checkpoint_dir=None,
            resume: bool = False, on_epoch=None) -> "Translator":
        """Learn from pairs of ``sources`` and ``targets`` (module docstring); ``on_epoch``
        sees each epoch's record, checkpoints go to ``checkpoint_dir``."""
        TranslateConfig(**self.get_params())  # checks every parameter
        pairs = Pairs(tuple(sources), tuple(targets), "the training pairs")
        learn, aside = split_by_source(pairs, VALIDATION_SHARE, "validation")
        source, target = (Subwords.learn(list(learn.sources), self.vocab_size),
                          Subwords.learn(list(learn.targets), self.vocab_size))
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            module = self._network(len(source), len(target))

        def schedule(epoch: int) -> None:
            share = epoch / max(1, self.epochs - 1)
            module.teacher_forcing = (self.teacher_forcing + share
                                      * (self.teacher_forcing_final - self.teacher_forcing))

        batches = PairBatches(_encoded(learn.sources, source), _encoded(learn.targets, target),
                              self.batch_size, self.seed, before_epoch=schedule)
        val = PairBatches(_encoded(aside.sources, source), _encoded(aside.targets, target),
                          self.batch_size, self.seed, fixed=True)
        val_sources, val_references = references(aside)
        val_sources = val_sources[:VALIDATION_BLEU_SENTENCES]
        self.source_, self.target_ = source, target

        def bleu(network: Seq2Seq) -> dict:
            found = self._decode(val_sources, beam=1, module=network)
            return {"val_bleu": corpus_scores(found, val_references[: len(found)])["bleu"]}

        history = train(module, batches, TrainConfig(
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            grad_clip=5.0, patience=0, seed=self.seed), val_batches=val,
            checkpoint_dir=checkpoint_dir, resume=resume, on_epoch=on_epoch, val_scores=bleu)
        self.history_ = history
        self.module_ = module.eval()
        return self

    # -- translating ---------------------------------------------------------------------------
    def translate(self, sentences: list[str], beam: int | None = None,
                  name: str | None = "sentence") -> list[str]:
        """Each sentence's translation, in order: beam search of ``beam`` (default the
        translator's; 1 = greedy). An empty sentence, or one none of whose characters were
        seen in training, is refused, named ``{name} {number}``; ``name=None`` translates
        every sentence as it comes (unknown characters read as the unknown piece). Some
        unseen characters: one warning."""
        self.check_fitted()
        odd = (check_known(self.source_, sentences, name) if name is not None
               else [s for s in sentences if self.source_.unknown(s)])
        if odd:
            warnings.warn(f"{len(odd)} of {len(sentences)} sentences hold characters never "
                          f"seen in training (the first: {odd[0]!r}); they are read as unknown",
                          stacklevel=2)
        return self._decode(sentences, self.beam if beam is None else beam)

    def _decode(self, sentences: list[str], beam: int, module: Seq2Seq | None = None
                ) -> list[str]:
        """Translations by ``module`` (default the fitted one), sentences of like length
        decoded together; the module is left in the mode it was in."""
        module = self.module_ if module is None else module
        encoded = [self.source_.encode(s) or [0] for s in sentences]
        order = np.argsort([len(e) for e in encoded], kind="stable")
        out: list[str] = [""] * len(sentences)
        was_training = module.training
        for start in range(0, len(order), CHUNK):
            rows = order[start: start + CHUNK]
            source = padded([encoded[k] for k in rows])
            found = beam_search(module, source, beam, self.alpha)
            for k, tokens in zip(rows, found, strict=True):
                out[k] = self.target_.decode(tokens)
        module.train(was_training)
        return out

    def attention_maps(self, sentences: list[str]
                       ) -> list[tuple[list[str], list[str], np.ndarray]]:
        """For each sentence: its source pieces, the greedy translation's pieces (and EOS),
        and the attention weights (target × source)."""
        self.check_fitted()
        result = []
        for sentence in sentences:
            tokens, weights = greedy(self.module_, padded([self.source_.encode(sentence)]))
            pieces = [self.target_.processor.id_to_piece(t) for t in tokens[0]]
            result.append((self.source_.pieces(sentence), [*pieces, "</s>"],
                           weights[0].numpy()))
        return result

    # -- the model folder ----------------------------------------------------------------------
    def save(self, folder: str | Path, run: dict | None = None) -> None:
        """Write the model folder: the network's weights and both vocabularies (as bytes) in
        safetensors, the parameters and truecasers in JSON; ``run`` e.g. the command."""
        self.check_fitted()
        tensors = dict(self.module_.state_dict())
        tensors["source_pieces"] = torch.from_numpy(self.source_.tensor())
        tensors["target_pieces"] = torch.from_numpy(self.target_.tensor())
        save_model(folder, "Translator", tensors,
                   {"params": self.get_params(), "source": self.source_.record(),
                    "target": self.target_.record(), "run": run or {}})

    @classmethod
    def load(cls, folder: str | Path) -> "Translator":
        """The fitted translator of a folder written by :meth:`save` (``history_`` None)."""
        tensors, config = load_model(folder, "Translator")
        with rebuilding(folder):
            translator = cls(**config["params"])
            translator.source_ = Subwords.rebuilt(tensors.pop("source_pieces").numpy(),
                                                  config["source"])
            translator.target_ = Subwords.rebuilt(tensors.pop("target_pieces").numpy(),
                                                  config["target"])
            module = translator._network(len(translator.source_), len(translator.target_))
            module.load_state_dict(tensors)
        translator.history_ = None
        translator.module_ = module.eval()
        return translator


def _encoded(sentences: tuple[str, ...], subwords: Subwords) -> list[list[int]]:
    return [subwords.encode(s) for s in sentences]


__all__ = ["TranslateConfig", "Translator"]
