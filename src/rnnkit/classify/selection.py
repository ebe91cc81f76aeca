"""A network classifier's settings chosen by cross-validation on the training sequences only.

``cross_validate`` scores a few candidate settings of a :class:`NetworkClassifier` (each step
reading ``patch`` values, the training input noise, ...) by stratified k-fold cross-validation
on the sequences it is given, with a reduced budget (one network, fewer epochs), and picks one.
The caller passes the training sequences alone, so no test sequence can move the choice.

Math (N training sequences, classes c = 1 .. C, folds F_1 .. F_k stratified by class): for
each candidate s and fold j, a classifier fitted on the sequences outside F_j gives the
out-of-fold probabilities p̂_i for every i in F_j; pooled over the folds they give
    balanced accuracy(s) = 1/C · Σ_c #{i : y_i = c, argmax p̂_i = c} / #{i : y_i = c}
    log loss(s)          = -1/N · Σ_i log p̂_i[y_i]
The choice is the candidate of lowest log loss, a proper scoring rule that tells candidates
apart where counting right answers on a few dozen held-out sequences cannot; candidates within
``TIE`` of it are told apart by the higher balanced accuracy, then by their order (list the
simplest first). Both scores are reported.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from rnnkit._checks import InputError, check_positive_int
from rnnkit.classify.classifier import SequenceClassifier
from rnnkit.classify.members import NetworkClassifier
from rnnkit.classify.metrics import classification_scores
from rnnkit.io.sequences import LabelledSeries

METRIC = "log_loss"  # what the choice minimises; balanced accuracy breaks ties
TIE = 1e-9  # log losses this close count as equal
PATCH_STEPS = 12  # the longer patch candidate reads a sequence in about this many steps
NOISES = (0.0, 0.3)  # input noise candidates: none, and σ = 0.3 of the scaled inputs


def length_patch(length: int, steps: int = PATCH_STEPS) -> int:
    """The patch that reads a sequence of ``length`` in about ``steps`` steps (at least 1).

    >>> length_patch(96), length_patch(50), length_patch(10)
    (8, 4, 1)
    """
    check_positive_int("length", length)
    return max(1, round(length / steps))


def default_candidates(length: int, fixed: dict | None = None) -> list[dict]:
    """Patch 1 and :func:`length_patch` crossed with the input noises :data:`NOISES`, simplest
    first; a setting in ``fixed`` (e.g. ``{"patch": 12}``) is not searched but kept as given.

    >>> default_candidates(50)
    [{'patch': 1, 'input_noise': 0.0}, {'patch': 1, 'input_noise': 0.3}, \
{'patch': 4, 'input_noise': 0.0}, {'patch': 4, 'input_noise': 0.3}]
    >>> default_candidates(50, {"patch": 12, "input_noise": 0.0})
    [{'patch': 12, 'input_noise': 0.0}]
    """
    fixed = fixed or {}
    patches = [fixed["patch"]] if "patch" in fixed else sorted({1, length_patch(length)})
    noises = [fixed["input_noise"]] if "input_noise" in fixed else list(NOISES)
    return [{"patch": p, "input_noise": s} for p in patches for s in noises]


@dataclass(frozen=True)
class Selection:
    """What :func:`cross_validate` found: every candidate's settings and out-of-fold scores
    (``balanced_accuracy``, ``log_loss``), the chosen settings, and the budget it used."""

    candidates: list[dict]
    choice: dict
    folds: int
    epochs: int

    def record(self) -> dict:
        """JSON-ready: how it was chosen, the candidates with their scores, the choice."""
        return {"by": f"stratified {self.folds}-fold cross-validation on the training "
                      "sequences only (one network per fold)",
                "metric": METRIC, "tie_break": "balanced_accuracy", "folds": self.folds,
                "epochs": self.epochs, "candidates": self.candidates, "choice": self.choice}

    def line(self) -> str:
        """One line: the choice, its score, and the range of the others."""
        chosen = next(c for c in self.candidates if c["settings"] == self.choice)
        losses = [c[METRIC] for c in self.candidates]
        settings = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in self.choice.items())
        return (f"chose {settings} by {self.folds}-fold cross-validation on the training "
                f"sequences: log loss {chosen[METRIC]:.3f} (the {len(losses)} candidates "
                f"{min(losses):.3f}..{max(losses):.3f}), balanced accuracy "
                f"{chosen['balanced_accuracy']:.3f}")


def cross_validate(clf: SequenceClassifier, data: LabelledSeries, candidates: Sequence[dict],
                   *, folds: int = 3, epochs: int = 0, device: str = "cpu") -> Selection:
    """Score each candidate's settings of ``clf``'s network by stratified k-fold
    cross-validation on ``data`` (the training sequences only), and choose one.

    ``clf`` is an unfitted SequenceClassifier over a :class:`NetworkClassifier`; a candidate
    is a dict of the network's fields (``{"patch": 8, "input_noise": 0.3}``). During the
    search every fit is one network (``ensemble=1``) of ``epochs`` epochs (0: the network's
    own); the folds are drawn from the network's seed. ``folds`` shrinks to the smallest
    class's size (at least 2 sequences per class are needed).
    """
    if not isinstance(clf.model, NetworkClassifier):
        raise InputError(f"cross_validate chooses a NetworkClassifier's settings, not a "
                         f"{type(clf.model).__name__}'s")
    if not candidates:
        raise InputError("`candidates` is empty: give at least one setting to score")
    known = {f.name for f in fields(NetworkClassifier)}
    for candidate in candidates:
        if set(candidate) - known:
            raise InputError(f"candidate {candidate} names no field of NetworkClassifier: "
                             f"{sorted(set(candidate) - known)}")
    check_positive_int("folds", folds)
    classes, codes = np.unique(np.asarray(data.labels), return_inverse=True)
    counts = np.bincount(codes)
    k = min(folds, int(counts.min()))
    if k < 2:
        rarest = str(classes[counts.argmin()])
        raise InputError(f"{data.source}: class {rarest!r} has {counts.min()} training "
                         "sequence; cross-validation needs 2 per class")
    network = clf.model
    budget = replace(network.train, epochs=epochs or network.train.epochs)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=network.seed)
    splits = list(splitter.split(np.zeros(len(codes)), codes))
    scored = []
    for candidate in candidates:
        trial = clone(clf).set_params(ensemble=1, model=replace(network, train=budget,
                                                                **candidate))
        proba = np.zeros((len(codes), len(classes)))
        for kept, held in splits:
            fitted = trial.fit(data.subset(kept), device=device)
            proba[held] = fitted.predict_proba(data.subset(held))  # every fold has each class
        scores = classification_scores(codes, proba.argmax(1), range(len(classes)), proba)
        scored.append({"settings": dict(candidate), "log_loss": scores["log_loss"],
                       "balanced_accuracy": scores["balanced_accuracy"]})
    best = min(s[METRIC] for s in scored)
    tied = [s for s in scored if s[METRIC] <= best + TIE]
    choice = max(tied, key=lambda s: s["balanced_accuracy"])["settings"]
    return Selection(scored, choice, k, budget.epochs)


def with_settings(clf: SequenceClassifier, settings: dict) -> SequenceClassifier:
    """An unfitted copy of ``clf`` whose network takes ``settings``."""
    return clone(clf).set_params(model=replace(clf.model, **settings))


__all__ = ["METRIC", "NOISES", "PATCH_STEPS", "Selection", "cross_validate",
           "default_candidates", "length_patch", "with_settings"]
