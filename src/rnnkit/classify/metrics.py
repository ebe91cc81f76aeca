"""Scores for sequence classification and the UCR archive's two reference baselines.

:func:`classification_scores` reports a classifier's test predictions (accuracy, balanced
accuracy, macro F1, log loss, per-class precision / recall / F1 and the confusion matrix) with
scikit-learn's metrics, as plain Python numbers that go straight into strict JSON.
:func:`majority_baseline` and :func:`nn1_euclidean` are what every model must beat on the same
split: the most frequent training class, and 1-nearest-neighbour with Euclidean distance, the
baseline the UCR Time Series Archive publishes for each data set (Dau et al. 2019). Pure NumPy /
scikit-learn.

Labels are any hashable values (ints, strings); ``classes`` fixes their order in every
per-class list, matrix and probability column.
"""

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn import metrics

from rnnkit._checks import InputError, check_positive_int, check_shape

CHUNK_VALUES = 2**22  # differences held at once when re-measuring near neighbours (32 MiB)
PROBA_TOLERANCE = 1e-6  # |Σ_c p_ic - 1| allowed: float32 softmax outputs sum to 1 only so closely


def classification_scores(y_true, y_pred, classes: Sequence, proba=None) -> dict:
    """Accuracy, balanced accuracy, macro F1, log loss, per-class scores and the confusion.

    Math (N test series, classes c = 1 .. C in ``classes`` order, y_i the true and ŷ_i the
    predicted label, M the confusion matrix, M[a, b] = #{i : y_i = a, ŷ_i = b}):
        accuracy          = 1/N · Σ_i [ŷ_i = y_i]                  = trace(M) / N
        precision_c       = M[c, c] / Σ_a M[a, c]                  0.0 when c is never predicted
        recall_c          = M[c, c] / Σ_b M[c, b]                  0.0 when c never occurs
        F1_c              = 2 · precision_c · recall_c / (precision_c + recall_c)    (0.0 if both 0)
        balanced_accuracy = mean of recall_c over the classes that occur in y_true
        macro_F1          = unweighted mean of F1_c over the classes that occur in y_true or ŷ
        log_loss          = -1/N · Σ_i log p_i[y_i],  p clipped to [ε, 1 - ε], ε = 2.2e-16
    These are scikit-learn's ``accuracy_score``, ``balanced_accuracy_score``, ``f1_score``
    (macro), ``precision_recall_fscore_support`` with ``zero_division=0.0`` and ``log_loss``
    (which clips as above: float64's machine epsilon), so a class the test part lacks neither
    counts as a recall of 0 nor drags macro F1 down; its per-class row shows support 0.

    Parameters
    ----------
    y_true, y_pred
        True and predicted labels, shape (N,), every one of them in ``classes``.
    classes
        The C >= 2 labels, distinct (also as strings: they key ``per_class``), in the order of
        the confusion's rows and columns and of ``proba``'s columns.
    proba
        Optional class probabilities (N, C), columns in ``classes`` order, each row in [0, 1]
        summing to 1 (within 1e-6; rows are rescaled to sum exactly to 1). Without it
        ``log_loss`` is None.

    Returns
    -------
    dict
        ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``log_loss`` (float or None),
        ``per_class`` {str(label): {``precision``, ``recall``, ``f1``, ``support``}} in
        ``classes`` order, and ``confusion``: C lists of C ints, rows the true class and columns
        the predicted one. Plain Python floats and ints, all finite.

    Raises
    ------
    InputError
        Lengths that differ or are 0, a label not in ``classes``, fewer than two or repeated
        classes, ``proba`` of the wrong shape, outside [0, 1] or whose rows do not sum to 1.

    Example
    -------
    >>> s = classification_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"],
    ...                           proba=[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    >>> s["accuracy"], s["balanced_accuracy"], s["confusion"], round(s["log_loss"], 4)
    (0.75, 0.75, [[1, 1], [0, 2]], 0.6931)
    >>> s["per_class"]["b"]
    {'precision': 0.6666666666666666, 'recall': 1.0, 'f1': 0.8, 'support': 2}
    """
    index = _class_index(classes)
    truth = _codes("y_true", y_true, index)
    predicted = _codes("y_pred", y_pred, index)
    if len(truth) != len(predicted):
        raise InputError(f"y_true and y_pred must have the same length, got {len(truth)} and "
                         f"{len(predicted)}")
    codes = list(range(len(index)))  # sklearn sees class positions, never the labels
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        truth, predicted, labels=codes, zero_division=0.0)
    with warnings.catch_warnings():  # it builds its own confusion over the classes present
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", "A single label was found")
        balanced = metrics.balanced_accuracy_score(truth, predicted)
    return {
        "accuracy": float(metrics.accuracy_score(truth, predicted)),
        "balanced_accuracy": float(balanced),
        "macro_f1": float(metrics.f1_score(truth, predicted, average="macro",
                                           zero_division=0.0)),
        "log_loss": None if proba is None else float(metrics.log_loss(
            truth, _probabilities(proba, len(truth), len(codes)), labels=codes)),
        "per_class": {str(label): {"precision": float(precision[c]), "recall": float(recall[c]),
                                   "f1": float(f1[c]), "support": int(support[c])}
                      for label, c in index.items()},
        "confusion": metrics.confusion_matrix(truth, predicted, labels=codes).tolist(),
    }


def majority_baseline(train_labels, classes: Sequence, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Predict the most frequent training class for ``n`` series, with the training frequencies.

    Math (n_c the number of training series of class c, N_train = Σ_c n_c):
        ŷ_i = argmax_c n_c            ties: the first in ``classes`` order
        p_i[c] = n_c / N_train        the same row for every series, so log loss is defined
    A class absent from the training labels gets probability 0 (clipped by the log loss).

    Returns
    -------
    tuple
        Labels (n,) (elements of ``classes``) and probabilities (n, C), columns in ``classes``
        order.

    Raises
    ------
    InputError
        No training labels, one not in ``classes``, repeated classes, ``n`` < 1.

    Example
    -------
    >>> labels, proba = majority_baseline([1, -1, 1, 1], [-1, 1], n=2)
    >>> labels.tolist(), proba.tolist()
    ([1, 1], [[0.25, 0.75], [0.25, 0.75]])
    """
    check_positive_int("n", n)
    index = _class_index(classes, at_least=1)
    codes = _codes("train_labels", train_labels, index)
    counts = np.bincount(codes, minlength=len(index))
    best = int(np.argmax(counts))  # argmax returns the first of equal counts
    return _label_array(index)[np.full(n, best)], np.tile(counts / counts.sum(), (n, 1))


def nn1_euclidean(train_values, train_labels, test_values) -> np.ndarray:
    """1-nearest-neighbour classification with Euclidean distance, the UCR archive's baseline.

    Math (a test series x and training series z_j, both L steps of F values after the length
    rule below):
        d(x, z_j)² = Σ_{t, f} (x_tf - z_j,tf)² = ‖x‖² + ‖z_j‖² - 2 x·z_j
        ŷ(x) = y_j*,  j* = the first j with d(x, z_j) minimal  (strict <, as the archive's code)
    Lengths: when every series (training and test) has the same length T, d is the plain
    distance over all T·F values. Otherwise every series is first resampled linearly to L, the
    longest training length: step k of a series v of length n becomes v at position
    k (n - 1) / (L - 1), interpolated between its neighbouring steps (a series of length L is
    unchanged). This compares the shapes of whole series, so a series and a stretched copy are
    neighbours. The archive's own baselines for its variable-length data sets instead pad each
    series with low-amplitude noise to the longest length; resampling is deterministic and
    keeps the padding out of the distance, but on those data sets its figures may differ from
    the published ones (on equal-length ones, e.g. ECG200, they are the same).

    The distances are one matrix product; the near-minimal candidates of each test series are
    then measured again as Σ (x - z)², so rounding in the product never breaks an exact tie
    nor swaps two neighbours.

    Parameters
    ----------
    train_values, test_values
        Float arrays (N, T, F) (or (N, T) for F = 1) whose shorter series end in NaN steps, or
        lists of (T_i, F) or (T_i,) arrays; the same F in both.
    train_labels
        One label per training series, shape (N_train,).

    Returns
    -------
    np.ndarray
        (N_test,) the label of each test series' nearest training series.

    Raises
    ------
    InputError
        No series, a NaN before a series' end or a step only partly NaN, an infinite value, a
        series with no steps, different F, labels that do not match the training series.

    Example
    -------
    >>> train = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    >>> nn1_euclidean(train, ["low", "high"], np.array([[0.9, 1.2, 0.8], [0.1, 0.0, 0.3]]))
    array(['high', 'low'], dtype='<U4')
    """
    train, train_lengths = _padded("train_values", train_values)
    test, test_lengths = _padded("test_values", test_values)
    labels = np.asarray(train_labels)
    check_shape("train_labels", labels.shape, (len(train),), f"({len(train)},), one per series")
    if test.shape[2] != train.shape[2]:
        raise InputError(f"test_values must have {train.shape[2]} features per step like "
                         f"train_values, got {test.shape[2]}")
    length = int(train_lengths.max())
    lengths = np.concatenate([train_lengths, test_lengths])
    if (lengths == length).all():  # equal lengths: the plain distance
        a = train[:, :length].reshape(len(train), -1)  # (N_train, L·F)
        b = test[:, :length].reshape(len(test), -1)  # (N_test, L·F)
    else:
        a = _resampled(train, train_lengths, length).reshape(len(train), -1)
        b = _resampled(test, test_lengths, length).reshape(len(test), -1)
    return labels[_nearest(a, b)]


def _nearest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each row of b, the index of the first row of a at minimal Euclidean distance."""
    norm_a, norm_b = (a**2).sum(axis=1), (b**2).sum(axis=1)
    squared = norm_b[:, None] + norm_a[None, :] - 2 * b @ a.T  # (N_test, N_train)
    # the product's rounding error is below D·ε·(‖a‖² + ‖b‖²) (D = L·F): 4× that is safe
    slack = 4 * a.shape[1] * np.finfo(float).eps * (norm_b[:, None] + norm_a[None, :])
    rows, cols = np.nonzero(squared <= squared.min(axis=1, keepdims=True) + slack)
    exact = np.full(squared.shape, np.inf)
    chunk = max(1, CHUNK_VALUES // a.shape[1])  # pairs per step: many equal series are many pairs
    for start in range(0, len(rows), chunk):
        r, c = rows[start : start + chunk], cols[start : start + chunk]
        exact[r, c] = ((b[r] - a[c]) ** 2).sum(axis=1)  # each pair summed alike
    return np.argmin(exact, axis=1)  # the first of equal distances


def _resampled(x: np.ndarray, lengths: np.ndarray, length: int) -> np.ndarray:
    """(N, T, F) series of the given lengths, each linearly resampled to ``length`` steps."""
    k = np.arange(length)
    last = (lengths - 1)[:, None]  # (N, 1)
    # k (n - 1) / (L - 1) is exact in floats, so a series already L long is copied unchanged
    position = k * last / (length - 1) if length > 1 else np.zeros((len(x), 1))  # (N, L)
    low = np.minimum(np.floor(position).astype(int), np.maximum(last - 1, 0))
    high = np.minimum(low + 1, last)
    weight = (position - low)[:, :, None]  # (N, L, 1)
    below = np.take_along_axis(x, low[:, :, None], axis=1)  # (N, L, F)
    above = np.take_along_axis(x, high[:, :, None], axis=1)
    return below + weight * (above - below)


def _padded(name: str, values) -> tuple[np.ndarray, np.ndarray]:
    """Series as one (N, T, F) float array padded with NaN steps, and their lengths (N,)."""
    if isinstance(values, np.ndarray):
        x = np.asarray(values, dtype=float)
        x = x[:, :, None] if x.ndim == 2 else x
    else:
        rows = [np.asarray(v, dtype=float) for v in values]
        rows = [r[:, None] if r.ndim == 1 else r for r in rows]
        if not rows or any(r.ndim != 2 for r in rows) or len({r.shape[1] for r in rows}) > 1:
            shapes = sorted({r.shape for r in rows})[:3]
            raise InputError(f"{name} must be a list of (T_i, F) arrays with one F, got shapes "
                             f"{shapes}")
        x = np.full((len(rows), max(len(r) for r in rows), rows[0].shape[1]), np.nan)
        for i, r in enumerate(rows):
            x[i, : len(r)] = r
    if x.ndim != 3 or 0 in x.shape:
        raise InputError(f"{name} must hold series as (N, T, F) or (N, T), got shape {x.shape}")
    missing = np.isnan(x)
    ended = missing.all(axis=2)  # (N, T) padding steps
    inside = ended[:, :-1] & ~ended[:, 1:]  # a step with values after a padding step
    bad = (missing.any(axis=2) & ~ended).any(axis=1) | inside.any(axis=1) | ended[:, 0]
    bad |= np.isinf(x).any(axis=(1, 2))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} series {i} must be finite, with NaN only in whole steps after "
                         f"its end and at least one step before it")
    return x, (~ended).sum(axis=1)


def _class_index(classes: Sequence, at_least: int = 2) -> dict:
    """{label: position} for the classes, checked to be enough and distinct."""
    labels = np.asarray(classes, dtype=object).ravel().tolist()
    if len(labels) < at_least:
        raise InputError(f"classes must hold at least {at_least} labels, got {labels}")
    index = {label: c for c, label in enumerate(labels)}
    if len(index) < len(labels) or len({str(k) for k in index}) < len(labels):
        raise InputError(f"classes must be distinct (also as strings), got {labels}")
    return index


def _label_array(index: dict) -> np.ndarray:
    """The classes as an array of their own kind (ints, strings); object when they are mixed."""
    labels = list(index)
    array = np.asarray(labels)
    return array if array.tolist() == labels else np.array(labels, dtype=object)


def _codes(name: str, labels, index: dict) -> np.ndarray:
    """The position in ``classes`` of every label, (N,) ints; N >= 1."""
    values = np.asarray(labels, dtype=object)
    if values.ndim != 1 or len(values) == 0:
        raise InputError(f"{name} must be a non-empty (N,) sequence of labels, got shape "
                         f"{values.shape}")
    try:
        return np.array([index[v] for v in values.tolist()], dtype=int)
    except (KeyError, TypeError):  # TypeError: an unhashable label
        i = next(i for i, v in enumerate(values.tolist()) if _unknown(v, index))
        raise InputError(f"{name}[{i}] is {values[i]!r}, not one of the classes "
                         f"{list(index)}") from None


def _unknown(value, index: dict) -> bool:
    try:
        return value not in index
    except TypeError:
        return True


def _probabilities(proba, n: int, num_classes: int) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    check_shape("proba", p.shape, (n, num_classes), f"({n}, {num_classes}), one column per class")
    if not ((p >= 0) & (p <= 1)).all():  # False for NaN too
        raise InputError("proba must hold probabilities in [0, 1], got "
                         f"{p[~((p >= 0) & (p <= 1))][0]}")
    total = p.sum(axis=1)
    far = np.abs(total - 1) > PROBA_TOLERANCE
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise InputError(f"proba rows must sum to 1, row {i} sums to {total[i]}")
    return p / total[:, None]
