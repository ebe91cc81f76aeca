"""The Numenta Anomaly Benchmark's scoring (Lavin & Ahmad 2015, NAB v1.1), reproduced.

A detector gives every row t of a file an anomaly score a_t in [0, 1]; a threshold θ turns
it into detections (a_t >= θ). The file's labels are anomaly windows [start, end] (rows
given by their timestamps). With a profile's weights A_TP, A_FP, A_FN (:data:`PROFILES`), each
row has the value a detection there would add:

    σ(y)  = 2 / (1 + e^{5y}) - 1,  and -1 for y >= 3       (the scaled sigmoid)
    inside window k, rows a_k .. b_k, width w_k = b_k - a_k + 1:
        y_t = -(b_k - t + 1) / w_k,     v_t = A_TP σ(y_t) / σ(-1)   (early detection pays most)
    outside every window, b the last row of the window before t (width w):
        y_t = (t - b) / (w - 1),        v_t = A_FP σ(y_t)           (near a window costs less)
        and v_t = -A_FP before the first window.

The first min(⌊0.15 n⌋, 750) rows are probationary and not scored. The file's score is

    S = Σ_k (max of v_t over the window's detections, else -A_FN) + Σ_{detections outside} v_t

(only a window's earliest detection counts: v_t falls along the window). The rows are found
as NAB finds them: a window starts at the first row whose timestamp equals its start, ends at
the first row whose timestamp equals its end. Over a corpus, the threshold is the one that
maximises Σ S (:func:`best_threshold`), and the normalised score is
100 (S - S_null) / (S_perfect - S_null), the null detector detecting nothing
(S_null = -A_FN · windows) and the perfect one each window at its first row (S_perfect =
A_TP · windows). NumPy only.
"""

import math
from dataclasses import dataclass

import numpy as np

from rnnkit._checks import InputError

PROBATION_FRACTION, PROBATION_MOST = 0.15, 750  # NAB's probationary period: 15%, at most 750


@dataclass(frozen=True)
class Costs:
    """A profile's weights of a true positive, a false positive and a missed window."""

    tp: float
    fp: float
    fn: float


PROFILES = {  # NAB's config/profiles.json
    "standard": Costs(tp=1.0, fp=0.11, fn=1.0),
    "reward_low_FP_rate": Costs(tp=1.0, fp=0.22, fn=1.0),
    "reward_low_FN_rate": Costs(tp=1.0, fp=0.11, fn=2.0),
}


def scaled_sigmoid(y: float) -> float:
    """σ(y) = 2 / (1 + e^{5y}) - 1, and -1 for y >= 3 (module docstring).

    >>> [round(scaled_sigmoid(y), 5) for y in (-1.0, -0.5, 0.0, 1.0, 3.0)]
    [0.98661, 0.84828, 0.0, -0.98661, -1.0]
    """
    return -1.0 if y >= 3.0 else 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_rows(rows: int) -> int:
    """min(⌊0.15 n⌋, 750): the first rows, which are not scored.

    >>> probation_rows(4032), probation_rows(22695)
    (604, 750)
    """
    return int(min(math.floor(PROBATION_FRACTION * rows), PROBATION_MOST))


@dataclass(frozen=True)
class RowValues:
    """What a detection at each row of a file would add (``value``, (n,)), the row's window
    (``window``: its number, -1 outside every window) and whether it is scored (``scored``:
    after the probationary period)."""

    value: np.ndarray
    window: np.ndarray
    scored: np.ndarray


def row_values(timestamps: list[str], windows: list[tuple[str, str]], costs: Costs,
               name: str = "") -> RowValues:
    """v_t, the window of every row and the scored rows (module docstring) of a file with
    ``timestamps`` (as written in it) and ``windows`` [(start, end)] in time order.

    Raises
    ------
    InputError
        A window's start or end is not one of the file's timestamps (``name`` names the file).
    """
    first = {}
    for row, stamp in enumerate(timestamps):
        first.setdefault(stamp, row)
    n = len(timestamps)
    value, window = np.empty(n), np.full(n, -1)
    limits = []
    for k, (start, end) in enumerate(windows):
        missing = [s for s in (start, end) if s not in first]
        if missing:
            raise InputError(f"{name or 'the file'}: window {k} ({start} .. {end}) names "
                             f"{missing[0]}, which is not a timestamp of the file")
        limits.append((first[start], first[end]))
    top, previous = scaled_sigmoid(-1.0), None
    t = 0
    for k, (a, b) in enumerate(limits + [(n, n)]):
        while t < min(a, n):  # outside: after the previous window (or before any)
            if previous is None:
                value[t] = -costs.fp
            else:
                value[t] = costs.fp * scaled_sigmoid(abs(previous[1] - t)
                                                     / max(previous[0] - 1, 1))
            t += 1
        if a >= n:
            break
        width = b - a + 1.0
        rows = np.arange(a, b + 1)
        value[a: b + 1] = [costs.tp * scaled_sigmoid(-(b - i + 1) / width) / top for i in rows]
        window[a: b + 1] = k
        previous, t = (width, b), b + 1
    scored = np.arange(n) >= probation_rows(n)
    return RowValues(value, window, scored)


@dataclass(frozen=True)
class FileScore:
    """A file's NAB score at one threshold and its row counts (scored rows; ``total``: all)."""

    score: float
    tp: int
    tn: int
    fp: int
    fn: int
    total: int


def score_file(anomaly_scores, values: RowValues, costs: Costs, threshold: float
               ) -> FileScore:
    """S of a file (module docstring) for the detections a_t >= ``threshold``.

    >>> v = row_values([str(t) for t in range(20)], [("15", "17")], PROFILES["standard"])
    >>> a = np.zeros(20); a[15] = 1.0                      # a detection at the window's start
    >>> score_file(a, v, PROFILES["standard"], 0.5).score
    1.0
    """
    a = np.asarray(anomaly_scores, dtype=float)
    detected = (a >= threshold) & values.scored
    inside = values.window >= 0
    score = float(values.value[detected & ~inside].sum())
    for k in np.unique(values.window[values.scored & inside]):
        hits = detected & (values.window == k)
        score += float(values.value[hits].max()) if hits.any() else -costs.fn
    counts = [int(np.sum(mask & values.scored)) for mask in (
        detected & inside, ~detected & ~inside, detected & ~inside, ~detected & inside)]
    return FileScore(score, *counts, total=len(a))


def window_count(values: RowValues) -> int:
    """The windows with a scored row (those a file's score counts)."""
    return len(np.unique(values.window[values.scored & (values.window >= 0)]))


def threshold_curve(anomaly_scores, values: RowValues, costs: Costs,
                    thresholds: np.ndarray) -> np.ndarray:
    """S of a file at every threshold of ``thresholds`` at once (:func:`score_file`'s score):
    the scored rows in descending order of anomaly score, the false positives' running sum
    and each window's running maximum, read at the count of rows >= each threshold."""
    a = np.asarray(anomaly_scores, dtype=float)[values.scored]
    order = np.argsort(-a, kind="stable")
    a, value, window = a[order], values.value[values.scored][order], values.window[
        values.scored][order]
    running = np.concatenate([[0.0], np.cumsum(np.where(window < 0, value, 0.0))])
    for k in np.unique(window[window >= 0]):
        best = np.maximum.accumulate(np.where(window == k, value, -np.inf))
        running += np.concatenate([[-costs.fn], np.where(np.isfinite(best), best, -costs.fn)])
    detected = np.searchsorted(-a, -np.asarray(thresholds, dtype=float), side="right")
    return running[detected]


def best_threshold(files: list[tuple[np.ndarray, RowValues]], costs: Costs
                   ) -> tuple[float, float]:
    """(θ, Σ S) maximising the corpus's summed score over the thresholds that change a
    detection (every distinct anomaly score of a scored row, and 1.1, which detects nothing);
    ties to the higher threshold."""
    candidates = np.unique(np.concatenate([np.asarray(a, dtype=float)[v.scored]
                                           for a, v in files] + [np.array([1.1])]))[::-1]
    total = sum(threshold_curve(a, v, costs, candidates) for a, v in files)
    best = int(np.argmax(total))  # the first maximum: the highest threshold
    return float(candidates[best]), float(total[best])


def normalised(score: float, windows: int, costs: Costs) -> float:
    """100 (S - S_null) / (S_perfect - S_null) for a corpus of ``windows`` scored windows.

    >>> costs = PROFILES["standard"]
    >>> normalised(-3.0, 3, costs), normalised(3.0, 3, costs), normalised(0.0, 3, costs)
    (0.0, 100.0, 50.0)
    """
    null, perfect = -costs.fn * windows, costs.tp * windows
    return 100.0 * (score - null) / (perfect - null)


__all__ = ["PROFILES", "Costs", "FileScore", "RowValues", "best_threshold", "normalised",
           "probation_rows", "row_values", "scaled_sigmoid", "score_file", "threshold_curve",
           "window_count"]
