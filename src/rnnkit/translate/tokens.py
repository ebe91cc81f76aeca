"""Subword tokens: normalisation that round-trips, a truecaser, and a SentencePiece vocabulary
learned on the training side only.

A sentence becomes tokens in three steps, each undone on the way back:

1. **Normalise**: Unicode NFC; the typographic spaces (no-break, narrow no-break, thin) become
   one space, curly apostrophes a straight one, runs of space one. What a person reads is
   unchanged; what the vocabulary sees varies less.
2. **Truecase** (:class:`Truecaser`): the capital that only marks a sentence's start is
   lowered ("Il" → "il", but "Tom" stays), so a word has one spelling wherever it stands;
   detokenising capitalises the first letter again.
3. **Subwords**: a SentencePiece model (Kudo & Richardson 2018; BPE here) splits words into
   pieces from a vocabulary of ``vocab_size``; ids 0-3 are padding, BOS, EOS and unknown.
   Decoding joins the pieces back into words (SentencePiece marks where spaces were).
"""

import io
import re
import unicodedata
from collections import Counter

import numpy as np

from rnnkit._checks import InputError

SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-"})
UNKNOWN = 3  # the id SentencePiece gives a piece it does not know
EDGE_PUNCTUATION = ".,!?;:\"'«»()"  # stripped from a word's ends to find the word


def normalise(text: str) -> str:
    """Step 1 of the module docstring.

    >>> normalise("  Va\\u202f!  C\\u2019est  ça. ")
    "Va ! C'est ça."
    """
    return SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(APOSTROPHES)).strip()


class Truecaser:
    """Learns, from the words that do not start a sentence, whether each word is usually
    capitalised; lowers a sentence's first letter unless its first word usually is.

    >>> caser = Truecaser.learn(["I saw Tom.", "Where is Tom?", "Tom is here.", "He is here."])
    >>> caser.lower("Tom is here."), caser.lower("He is here."), caser.lower("Is it?")
    ('Tom is here.', 'he is here.', 'is it?')
    >>> caser.restore("he is here.")
    'He is here.'
    """

    def __init__(self, capitalised: set[str]) -> None:
        self.capitalised = capitalised

    @classmethod
    def learn(cls, sentences: list[str]) -> "Truecaser":
        forms: Counter = Counter()
        for sentence in sentences:
            for word in sentence.split()[1:]:
                forms[word.strip(EDGE_PUNCTUATION)] += 1
        upper = Counter({w.lower(): n for w, n in forms.items() if w[:1].isupper()})
        lower = Counter({w: n for w, n in forms.items() if w[:1].islower()})
        return cls({w for w, n in upper.items() if n > lower.get(w, 0)})

    def lower(self, sentence: str) -> str:
        first = sentence.split(" ", 1)[0].strip(EDGE_PUNCTUATION).lower()
        if not sentence[:1].isupper() or first in self.capitalised or first == "i":
            return sentence
        return sentence[0].lower() + sentence[1:]

    @staticmethod
    def restore(sentence: str) -> str:
        return sentence[:1].upper() + sentence[1:]


class Subwords:
    """The three steps of the module docstring for one language: ``encode`` a sentence to
    ids, ``decode`` ids to the sentence a person reads."""

    def __init__(self, model: bytes, capitalised: set[str]) -> None:
        import sentencepiece

        self.model, self.truecaser = model, Truecaser(capitalised)
        self.processor = sentencepiece.SentencePieceProcessor(model_proto=model)
        self.known = {char for k in range(self.processor.get_piece_size())
                      for char in self.processor.id_to_piece(k)}  # every character of a piece

    @classmethod
    def learn(cls, sentences: list[str], vocab_size: int) -> "Subwords":
        """A vocabulary of at most ``vocab_size`` pieces learned on ``sentences`` (fewer
        when they hold fewer)."""
        import sentencepiece

        truecaser = Truecaser.learn([normalise(s) for s in sentences])
        lines = [truecaser.lower(normalise(s)) for s in sentences]
        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size,
            model_type="bpe", character_coverage=1.0, hard_vocab_limit=False,
            normalization_rule_name="identity", pad_id=0, bos_id=1, eos_id=2, unk_id=UNKNOWN,
            num_threads=1, minloglevel=2)
        return cls(model.getvalue(), truecaser.capitalised)

    def __len__(self) -> int:
        return self.processor.get_piece_size()

    def encode(self, sentence: str) -> list[int]:
        return self.processor.encode(self.truecaser.lower(normalise(sentence)))

    def decode(self, ids: list[int]) -> str:
        return Truecaser.restore(self.processor.decode(ids))

    def pieces(self, sentence: str) -> list[str]:
        """The pieces a sentence becomes (as the attention plot labels them)."""
        return self.processor.encode(self.truecaser.lower(normalise(sentence)), out_type=str)

    def unknown(self, sentence: str) -> set[str]:
        """The characters of ``sentence`` the vocabulary never saw."""
        return {c for c in normalise(sentence) if c != " " and c not in self.known}

    # -- the model folder: the SentencePiece model as bytes, the truecaser as words ----------
    def tensor(self) -> np.ndarray:
        return np.frombuffer(self.model, dtype=np.uint8).copy()

    def record(self) -> dict:
        return {"capitalised": sorted(self.truecaser.capitalised)}

    @classmethod
    def rebuilt(cls, tensor: np.ndarray, record: dict) -> "Subwords":
        return cls(bytes(np.asarray(tensor, dtype=np.uint8)), set(record["capitalised"]))


def check_known(subwords: Subwords, sentences: list[str], name: str = "sentence"
                ) -> list[str]:
    """Refuse an empty sentence, or one none of whose characters the vocabulary knows (e.g.
    another script): one line naming it as ``{name} {number}`` ("sentence 2", "in.txt line
    2"). Returns the sentences that hold some unseen characters."""
    partly = []
    for number, sentence in enumerate(sentences, start=1):
        text, unseen = normalise(sentence).replace(" ", ""), subwords.unknown(sentence)
        if not text:
            raise InputError(f"{name} {number}: an empty sentence")
        if set(text) <= unseen:
            raise InputError(f"{name} {number}: no character of {sentence!r} was seen in "
                             "training; is it in the source language?")
        if unseen:
            partly.append(sentence)
    return partly


__all__ = ["Subwords", "Truecaser", "check_known", "normalise"]
