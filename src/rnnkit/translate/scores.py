"""Translation scores with sacrebleu: corpus BLEU and chrF against every reference of each
sentence (the number of references may differ from sentence to sentence), and each
sentence's chrF; sacrebleu's signatures say exactly how they were computed.
"""

from sacrebleu.metrics import BLEU, CHRF


def reference_streams(references: list[list[str]]) -> list[list[str | None]]:
    """sacrebleu's layout: stream r holds every sentence's r-th reference (None when it has
    fewer).

    >>> reference_streams([["a", "b"], ["c"]])
    [['a', 'c'], ['b', None]]
    """
    depth = max(len(r) for r in references)
    return [[r[k] if k < len(r) else None for r in references] for k in range(depth)]


def corpus_scores(hypotheses: list[str], references: list[list[str]]) -> dict:
    """BLEU and chrF of ``hypotheses`` against all their ``references``, with signatures.

    >>> scores = corpus_scores(["the cat sat on the mat"], [["the cat sat on the mat", "x"]])
    >>> scores["bleu"], scores["chrf"]
    (100.0, 100.0)
    """
    streams = reference_streams(references)
    bleu, chrf = BLEU(), CHRF()
    return {"bleu": round(bleu.corpus_score(hypotheses, streams).score, 2),
            "chrf": round(chrf.corpus_score(hypotheses, streams).score, 2),
            "bleu_signature": str(bleu.get_signature()),
            "chrf_signature": str(chrf.get_signature()),
            "sentences": len(hypotheses)}


def sentence_chrf(hypothesis: str, references: list[str]) -> float:
    """One sentence's chrF against its references."""
    return round(CHRF().sentence_score(hypothesis, references).score, 2)


__all__ = ["corpus_scores", "reference_streams", "sentence_chrf"]
