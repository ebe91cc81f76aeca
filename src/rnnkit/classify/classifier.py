"""Sequence classification with scikit-learn habits: ``SequenceClassifier``.

One label per sequence (a heartbeat, a gesture, a sensor trace). Sequences may differ in length
and have one or several features per step. Two models sit under the classifier, chosen by
``model``, behind one protocol (:mod:`rnnkit.classify.members`): a :class:`NetworkClassifier`
(a recurrent stack pooled over time, :class:`rnnkit.nn.models.PooledClassifier`, trained by
:func:`rnnkit.training.loop.train` with cross-entropy) or a
:class:`rnnkit.classify.reservoir.ReservoirClassifier` (an echo state network whose readout is a
ridge classifier, fitted in closed form). The SequenceClassifier does what
both need: it encodes the labels, scales the inputs with statistics of the training series only,
takes a stratified validation part (networks), weighs rare classes, trains an ensemble and
averages its probabilities, and saves and loads model folders.

Inputs ``X``: a :class:`rnnkit.io.sequences.LabelledSeries` (its labels are ``y``), a list of
(T_i,) or (T_i, F) arrays, or an array (N, T) / (N, T, F) whose shorter series end in NaN.
"""

import warnings
from pathlib import Path

import numpy as np

from rnnkit._checks import InputError, check_choice, check_in_range, check_positive_int
from rnnkit.base import Estimator
from rnnkit.classify.members import CLASSIFIER_MEMBERS, ClassifierMember, NetworkClassifier
from rnnkit.classify.reservoir import ReservoirClassifier, padded_series
from rnnkit.io.files import load_members, rebuilding, save_members
from rnnkit.io.sequences import LabelledSeries, stratified_split
from rnnkit.reservoir import ReservoirConfig
from rnnkit.training.scaling import Scaler

NORMALIZATIONS = ("standard", "series", "none")
CLASS_WEIGHTS = ("balanced", "none")
CLASSIFY_RESERVOIR = ReservoirConfig(**{  # ReservoirClassifier's defaults (see its docstring)
    name: getattr(ReservoirClassifier(), name) for name in ("spectral_radius", "input_scaling")})


def as_padded(X, what: str = "X") -> tuple[np.ndarray, tuple | None]:
    """``X`` as (N, T, F) float64 with NaN after each sequence's end, and its labels if any.

    Each sequence must be finite up to its end and have at least one step
    (:func:`rnnkit.classify.reservoir.padded_series` checks them).
    """
    labels = None
    if isinstance(X, LabelledSeries):
        X, labels = X.padded(), X.labels
    elif isinstance(X, np.ndarray) and X.ndim == 2:
        X = X[:, :, None]
    return padded_series(what, X)[0], labels


class SequenceClassifier(Estimator):
    """Classify whole sequences: ``fit``, ``predict``, ``predict_proba``, ``score``, ``save``.

    Parameters
    ----------
    model : the member, unfitted (:mod:`rnnkit.classify.members`): a :class:`NetworkClassifier`
        or a :class:`~rnnkit.classify.reservoir.ReservoirClassifier`.
    normalize : "standard" scales every feature by the mean and std of all training steps
        (the statistics of the training series only); "series" z-normalises each sequence by
        its own mean and std (nothing learned); "none".
    class_weight : "balanced" weighs class c's cross-entropy by N / (C · N_c) (networks),
        "none" weighs all alike.
    val_fraction : share of each class held out of the training series for early stopping
        (networks; with ``train.patience``); a class too rare to split stays wholly in
        training, with a warning. 0: train on all of them for ``train.epochs``.
    ensemble : members trained with seeds seed, seed+1, ... (each its own validation part);
        probabilities are their mean.

    Fitted: ``classes_`` (sorted labels), ``models_``, ``scaler_`` (None unless "standard"),
    ``n_features_in_``, ``rare_classes_``, ``history_`` (one History per network member).

    Example
    -------
    >>> from rnnkit.training.loop import TrainConfig
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(20)
    >>> X = [np.sin(t * (1 + k % 2)) + 0.1 * rng.standard_normal(20) for k in range(40)]
    >>> y = ["slow" if k % 2 == 0 else "fast" for k in range(40)]
    >>> model = NetworkClassifier(train=TrainConfig(epochs=30, patience=0, batch_size=8))
    >>> clf = SequenceClassifier(model).fit(X, y)
    >>> clf.classes_.tolist(), clf.predict_proba(X[:2]).shape, clf.score(X, y) > 0.9
    (['fast', 'slow'], (2, 2), True)
    """

    fitted_attribute = "history_"

    def __init__(self, model: ClassifierMember = NetworkClassifier(),
                 normalize: str = "standard", class_weight: str = "balanced",
                 val_fraction: float = 0.0, ensemble: int = 1) -> None:
        self.model = model
        self.normalize = normalize
        self.class_weight = class_weight
        self.val_fraction = val_fraction
        self.ensemble = ensemble

    def _check_params(self) -> None:
        check_choice("normalize", self.normalize, NORMALIZATIONS)
        check_choice("class_weight", self.class_weight, CLASS_WEIGHTS)
        check_in_range("val_fraction", self.val_fraction, 0.0, 1.0, high_open=True)
        check_positive_int("ensemble", self.ensemble)

    def _scaled(self, x: np.ndarray) -> np.ndarray:
        if self.normalize == "series":
            mean = np.nanmean(x, axis=1, keepdims=True)
            std = np.nanstd(x, axis=1, keepdims=True)
            return (x - mean) / np.where(std > 0, std, 1.0)
        if self.scaler_ is None:
            return x
        return (x - self.scaler_.mean_) / self.scaler_.scale_

    def fit(self, X, y=None, *, checkpoint_dir: str | Path | None = None, resume: bool = False,
            on_epoch=None, record: dict | None = None, device: str = "cpu",
            ) -> "SequenceClassifier":
        """Learn from the training sequences ``X`` and their labels ``y``.

        The scaler sees these sequences only; the validation part (networks) is taken from
        them, stratified by class, and never trained on.
        """
        self._check_params()
        x, found = as_padded(X)
        labels = np.asarray(found if y is None else y)
        if labels.ndim != 1 or len(labels) != len(x):
            raise InputError(f"y must hold one label per sequence: {len(x)}, got "
                             f"{labels.shape}")
        self.classes_, codes = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(f"y has a single class ({self.classes_[0]!r}): a classifier needs "
                             "at least two")
        self.n_features_in_ = x.shape[2]
        steps = x.reshape(-1, x.shape[2])
        self.scaler_ = (Scaler("standard").fit(steps[~np.isnan(steps).any(axis=1)])
                        if self.normalize == "standard" else None)
        x = self._scaled(x)
        counts = np.bincount(codes, minlength=len(self.classes_))
        weight = (len(codes) / (len(counts) * counts) if self.class_weight == "balanced"
                  else np.ones(len(counts)))
        self.rare_classes_, self.models_ = (), []
        for k in range(self.ensemble):
            member = self.model.reseeded(self.model.seed + k)
            fit_rows, val_rows, rare = (
                stratified_split(codes, self.val_fraction, member.seed)
                if self.val_fraction and member.validates
                else (np.arange(len(codes)), np.arange(0), ()))
            if rare and not self.rare_classes_:
                self.rare_classes_ = tuple(str(self.classes_[int(c)]) for c in rare)
                warnings.warn(f"class {', '.join(self.rare_classes_)} has too few sequences "
                              f"to hold out {self.val_fraction:g} for validation: all of them "
                              "stay in the training part", stacklevel=2)
            validation = (x[val_rows], codes[val_rows]) if len(val_rows) else None
            directory = None if checkpoint_dir is None else Path(checkpoint_dir) / f"m{k}"
            self.models_.append(member.fit(
                x[fit_rows], codes[fit_rows], len(self.classes_), validation=validation,
                class_weight=weight, checkpoint_dir=directory, resume=resume,
                on_epoch=on_epoch, record=record, device=device))
        self.history_ = [m.history_ for m in self.models_ if m.history_ is not None]
        return self

    def _inputs(self, X) -> np.ndarray:
        self.check_fitted()
        x, _ = as_padded(X)
        return self._scaled(padded_series("X", x, self.n_features_in_)[0])

    def predict_proba(self, X) -> np.ndarray:
        """(N, C) class probabilities, columns in ``classes_`` order (the members' mean)."""
        x = self._inputs(X)
        return np.mean([m.predict_proba(x) for m in self.models_], axis=0)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each sequence."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def score(self, X, y=None) -> float:
        """Accuracy on ``X`` (labels from ``y``, or from a LabelledSeries)."""
        _, found = as_padded(X)
        labels = np.asarray(found if y is None else y)
        return float(np.mean(self.predict(X) == labels.astype(self.classes_.dtype)))

    def attention(self, X) -> list[np.ndarray]:
        """The attention weights α_t of every sequence (T_i,), the members' mean (networks
        with pooling="attention" only)."""
        x = self._inputs(X)
        weights = np.mean([m.attention(x) for m in self.models_], axis=0)
        lengths = (~np.isnan(x).any(axis=2)).sum(axis=1)
        return [w[:n] for w, n in zip(weights, lengths, strict=True)]

    def to(self, device: str) -> "SequenceClassifier":
        self.models_ = [m.to(device) for m in self.models_]
        return self

    def save(self, path: str | Path, data: dict | None = None, run: dict | None = None) -> None:
        """Write the fitted classifier as an rnnkit model folder
        (:func:`rnnkit.io.files.save_members`).

        ``data`` (how its files were read) is kept with it for ``rnnkit predict``; ``run`` (the
        device and processes it trained with) for the record.
        """
        self.check_fitted()
        scaler = None if self.scaler_ is None else self.scaler_.to_dict()
        save_members(path, "SequenceClassifier", self.models_, {
            "classifier": self._params_record(), "classes": self.classes_.tolist(),
            "scaler": scaler, "n_features_in": self.n_features_in_,
            "rare_classes": list(self.rare_classes_), "data": data or {}, "run": run or {}})

    def _params_record(self) -> dict:
        """The hyperparameters as JSON (the member as its kind and parameters)."""
        record = {name: v for name, v in self.hyperparameters().items() if name != "model"}
        return record | {"model": {"kind": self.model.kind, "params": self.model.params()}}

    @classmethod
    def load(cls, path: str | Path) -> "SequenceClassifier":
        """Rebuild a fitted classifier from a folder written by ``save`` (no unpickling).

        ``data_`` holds the ``data`` record saved with it.
        """
        model, members, config = load_members(path, "SequenceClassifier", CLASSIFIER_MEMBERS,
                                              "classifier")
        with rebuilding(path):
            clf = cls(**config["classifier"] | {"model": model})
            clf.models_ = members
            clf.classes_ = np.asarray(config["classes"])
            clf.scaler_ = None if config["scaler"] is None else Scaler.from_dict(config["scaler"])
            clf.n_features_in_ = config["n_features_in"]
            clf.rare_classes_ = tuple(config["rare_classes"])
            clf.data_ = config["data"]
            clf.history_ = []
        return clf


__all__ = ["CLASSIFY_RESERVOIR", "CLASS_WEIGHTS", "NORMALIZATIONS", "SequenceClassifier",
           "as_padded"]
