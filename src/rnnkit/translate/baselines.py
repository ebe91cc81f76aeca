"""The baselines a translation is scored beside: copying the source, and translating word by
word with the most probable translation of each training word.

The dictionary comes from IBM Model 1 (Brown et al. 1993) fitted by EM on the training pairs:
t(f | e), the probability that source word e (or NULL) gives target word f, re-estimated from
the expected counts

    c(f, e) = Σ_pairs Σ_{f ∈ target} t(f | e) / Σ_{e' ∈ source ∪ {NULL}} t(f | e')   (e ∈ source)
    t(f | e) = c(f, e) / Σ_f' c(f', e)

and each source word's entry is argmax_f t(f | e). Words are lowercased runs of letters
(apostrophes and hyphens inside), punctuation marks are words of their own and kept as they
are; a word never seen in training is copied, and a capitalised word inside the sentence (a
name) gives a capitalised translation.
"""

import re
from collections import defaultdict

from rnnkit.translate.tokens import normalise

WORDS = re.compile(r"\w+(?:['-]\w+)*|[^\w\s]")
NULL = ""


def words(sentence: str, lower: bool = True) -> list[str]:
    """The (lowercased) words and punctuation marks of a sentence.

    >>> words("Don't go, Tom!")
    ["don't", 'go', ',', 'tom', '!']
    """
    found = WORDS.findall(normalise(sentence))
    return [w.lower() for w in found] if lower else found


def ibm_model1(sources: list[str], targets: list[str], iterations: int = 5
               ) -> dict[str, dict[str, float]]:
    """t(f | e) of the module docstring, as {e: {f: probability}}."""
    pairs = [([NULL, *words(s)], words(t)) for s, t in zip(sources, targets, strict=True)]
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for source, target in pairs:  # uniform over the words that ever meet
        for e in source:
            for f in target:
                table[e][f] = 1.0
    for _ in range(iterations):
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for source, target in pairs:
            for f in target:
                column = [table[e][f] for e in source]
                total = sum(column)
                for e, t in zip(source, column, strict=True):
                    counts[e][f] += t / total
        table = defaultdict(dict)
        for e, row in counts.items():
            norm = sum(row.values())
            table[e] = {f: c / norm for f, c in row.items()}
    return dict(table)


class WordByWord:
    """Translate each word by its most probable translation (module docstring).

    >>> model = WordByWord.fit(["the cat", "the dog", "a cat"], ["le chat", "le chien", "un chat"])
    >>> model.translate(["The dog!", "a zebra"])
    ['Le chien !', 'Un zebra']
    """

    def __init__(self, dictionary: dict[str, str]) -> None:
        self.dictionary = dictionary

    @classmethod
    def fit(cls, sources: list[str], targets: list[str], iterations: int = 5) -> "WordByWord":
        table = ibm_model1(sources, targets, iterations)
        return cls({e: max(row, key=row.get) for e, row in table.items() if e != NULL})

    def translate(self, sentences: list[str]) -> list[str]:
        out = []
        for sentence in sentences:
            translated = []
            for k, word in enumerate(words(sentence, lower=False)):
                found = self.dictionary.get(word.lower(), word) if word[0].isalnum() else word
                translated.append(found[:1].upper() + found[1:] if k and word[:1].isupper()
                                  else found)
            text = re.sub(r" ([.,])", r"\1", " ".join(translated))
            out.append(text[:1].upper() + text[1:])
        return out


def copy_source(sentences: list[str]) -> list[str]:
    """The baseline that translates nothing."""
    return list(sentences)


__all__ = ["WordByWord", "copy_source", "ibm_model1", "words"]
