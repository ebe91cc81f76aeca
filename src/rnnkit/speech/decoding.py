"""From CTC's per-frame log-probabilities to a transcript: greedy and prefix beam search, and
the edit distance that scores a transcript.

Greedy: the most likely label of every frame, repeats merged, blanks (0) dropped.

Prefix beam search (Hannun et al. 2014): keep the ``beam`` most likely label prefixes; for each,
p_b (ending in blank) and p_nb (ending in its last label). At frame s, with y_s(k) the
frame's probability of k and ℓ the prefix's last label:

    blank:          p_b'(prefix)   += (p_b + p_nb) y_s(0)
    repeat ℓ:       p_nb'(prefix)  += p_nb y_s(ℓ)                 (merged: the same prefix)
    new label k:    p_nb'(prefix+k) += (p_b + p_nb) y_s(k), or only p_b y_s(k) when k = ℓ

all in log space; the answer is the prefix with the highest p_b + p_nb at the end. A beam
of 1 gives the best single path, as greedy does.
"""

import numpy as np


def greedy(log_probs: np.ndarray) -> list[int]:
    """The greedy transcript (label ids) of one utterance's (S, 1 + V) log-probabilities.

    >>> p = [[.1, .8, .1], [.1, .8, .1], [.8, .1, .1], [.1, .8, .1], [.1, .1, .8]]
    >>> greedy(np.log(np.array(p)))       # 1 1 _ 1 2: a repeat merged, a blank between
    [1, 1, 2]
    """
    best = np.argmax(log_probs, axis=1)
    merged = best[np.r_[True, best[1:] != best[:-1]]]
    return [int(k) for k in merged if k != 0]


def beam_search(log_probs: np.ndarray, beam: int = 8) -> list[int]:
    """The prefix beam search transcript (module docstring) of one utterance.

    >>> p = np.log(np.array([[.4, .6], [.4, .6]]))   # greedy says [1]; so does the beam
    >>> beam_search(p, beam=4)
    [1]
    >>> q = np.log(np.array([[.6, .4], [.6, .4]]))   # greedy: blank; but 1 is likelier (.64)
    >>> greedy(q), beam_search(q, beam=4)
    ([], [1])
    """
    empty = ()
    beams = {empty: (0.0, -np.inf)}  # prefix: (log p_b, log p_nb)
    labels = log_probs.shape[1]
    for frame in log_probs:
        nxt: dict[tuple, tuple[float, float]] = {}
        for prefix, (b, nb) in beams.items():
            total = np.logaddexp(b, nb)
            _add(nxt, prefix, total + frame[0], -np.inf)
            last = prefix[-1] if prefix else None
            for k in range(1, labels):
                if k == last:
                    _add(nxt, prefix, -np.inf, nb + frame[k])
                    _add(nxt, prefix + (k,), -np.inf, b + frame[k])
                else:
                    _add(nxt, prefix + (k,), -np.inf, total + frame[k])
        ranked = sorted(nxt.items(), key=lambda item: -np.logaddexp(*item[1]))
        beams = dict(ranked[:beam])
    best = max(beams.items(), key=lambda item: np.logaddexp(*item[1]))[0]
    return list(best)


def _add(beams: dict, prefix: tuple, blank: float, nonblank: float) -> None:
    """Add probability (log) ending in blank and in a label to ``prefix`` in ``beams``."""
    b, nb = beams.get(prefix, (-np.inf, -np.inf))
    beams[prefix] = (np.logaddexp(b, blank), np.logaddexp(nb, nonblank))


def edit_distance(reference: str, hypothesis: str) -> int:
    """The fewest insertions, deletions and substitutions that turn one into the other.

    >>> edit_distance("314", "3144"), edit_distance("314", "14"), edit_distance("", "7")
    (1, 1, 1)
    """
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        current = [i]
        for j, h in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def digit_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Σ edit distance / Σ reference length over a test set.

    >>> digit_error_rate(["314", "15"], ["314", "1"])
    0.2
    """
    errors = sum(edit_distance(r, h) for r, h in zip(references, hypotheses, strict=True))
    return errors / max(1, sum(len(r) for r in references))


__all__ = ["beam_search", "digit_error_rate", "edit_distance", "greedy"]
