"""Echo state network classification: ``ReservoirClassifier``, one label per series.

A fixed random reservoir reads every series; two summaries of its states, the last one and
the mean, are the series' features; a ridge classifier on them is fitted in closed form.
Nothing is trained by gradient, so a fit is one pass of the reservoir over the training series
and one SVD (the time-series-classification literature's strong, fast baseline).

All series run through the reservoir together (:func:`rnnkit.reservoir.reservoir_features`):
one sparse (N, N) x dense (N, B) product per time step for the whole batch, the series sorted
by length so that the ones that have ended drop out of the batch and their padding is never
read. The classifier is also a member of :class:`rnnkit.classify.SequenceClassifier` (the
protocol of :mod:`rnnkit.classify.members`).
"""

import numbers
from typing import ClassVar

import numpy as np
import scipy.optimize
import scipy.special
import torch
from torch import Tensor

from rnnkit._checks import InputError
from rnnkit.base import Estimator
from rnnkit.reservoir import (
    RIDGE_GRID,
    Reservoir,
    ReservoirConfig,
    reservoir_features,
    ridge_readout,
)

TEMPERATURE_BOUNDS = (1e-3, 1e3)  # τ searched in log space between these
SINGULAR_TOL = 1e-12  # singular values below this times the largest are treated as zero


def padded_series(name: str, X, features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as NaN-padded floats (N, T, F) and each series' length (N,).

    ``X`` is an array (N, T, F) whose shorter series end in rows of NaN, or a list of (T_i, F)
    or (T_i,) arrays. A step is padding when all its values are NaN; every series needs one
    finite step first, and nothing but padding may follow its last finite step.
    """
    if isinstance(X, np.ndarray) or not isinstance(X, list | tuple):
        x = np.asarray(X, dtype=float)
        if x.ndim != 3:
            hint = " (one feature: X[..., None])" if x.ndim == 2 else ""
            raise InputError(f"{name} must be an array (N, T, F) or a list of (T_i, F) arrays, "
                             f"got shape {x.shape}{hint}")
    else:
        series = [np.asarray(s, dtype=float) for s in X]
        series = [s[:, None] if s.ndim == 1 else s for s in series]
        shapes = {s.shape[1:] for s in series if s.ndim == 2}
        if not series or any(s.ndim != 2 for s in series) or len(shapes) != 1:
            raise InputError(f"{name} must be a non-empty list of (T_i, F) arrays with one F, "
                             f"got shapes {[s.shape for s in series][:5]}")
        x = np.full((len(series), max(len(s) for s in series), *shapes.pop()), np.nan)
        for i, s in enumerate(series):
            x[i, : len(s)] = s
    if x.shape[0] == 0 or x.shape[1] == 0 or x.shape[2] == 0:
        raise InputError(f"{name} must hold at least one series, step and feature, got shape "
                         f"{x.shape}")
    if features is not None and x.shape[2] != features:
        raise InputError(f"{name} has {x.shape[2]} features per step; the model was trained "
                         f"on {features}")
    padding = np.isnan(x).all(axis=2)  # (N, T)
    lengths = np.where(padding.all(axis=1), 0, x.shape[1] - padding[:, ::-1].argmin(axis=1))
    inside = np.arange(x.shape[1]) < lengths[:, None]  # steps up to the last finite one
    bad = ~np.isfinite(x).all(axis=2) & inside
    if (lengths == 0).any():
        raise InputError(f"{name}: series {np.flatnonzero(lengths == 0)[0]} has no finite step")
    if bad.any():
        i = np.flatnonzero(bad.any(axis=1))[0]
        raise InputError(f"{name}: series {i} has NaN or inf values at step "
                         f"{np.flatnonzero(bad[i])[0]} (only rows all NaN after a series' last "
                         "finite step are padding)")
    return x, lengths


def loo_ridge_scores(features: np.ndarray, targets: np.ndarray,
                     ridges: tuple[float, ...]) -> np.ndarray:
    """Exact leave-one-out predictions of ridge regression with intercept, for each λ.

    With the centred features X_c = U S Vᵀ (thin SVD) the fitted values are Ŷ = H Y with the
    hat matrix H = 11ᵀ/n + U diag(s²/(s² + λ)) Uᵀ, and the prediction for sample i of the fit
    without sample i is ŷ_(-i) = y_i - (y_i - ŷ_i) / (1 - H_ii): exact for any penalised least
    squares whose intercept is not penalised (the Sherman-Morrison update of one row).
    Returns (len(ridges), n, O).
    """
    n = len(features)
    xc = features - features.mean(axis=0)
    yc = targets - targets.mean(axis=0)
    u, s, _ = np.linalg.svd(xc, full_matrices=False)
    keep = s > SINGULAR_TOL * max(s[0], 1e-300)  # centring leaves rank <= n - 1
    u, s2 = u[:, keep], s[keep] ** 2
    uty = u.T @ yc  # (k, O)
    out = np.empty((len(ridges), *targets.shape))
    for j, ridge in enumerate(ridges):
        shrink = s2 / (s2 + ridge)  # (k,)
        fitted = targets.mean(axis=0) + u @ (shrink[:, None] * uty)
        leverage = 1.0 / n + (u**2) @ shrink  # H_ii
        out[j] = targets - (targets - fitted) / np.maximum(1.0 - leverage, SINGULAR_TOL)[:, None]
    return out


def class_logits(scores: np.ndarray) -> np.ndarray:
    """Ridge scores (N,) for two classes or (N, C) as logits (N, C): [-s, s] for two."""
    return np.stack([-scores, scores], axis=1) if scores.ndim == 1 else scores


def fit_temperature(scores: np.ndarray, codes: np.ndarray) -> float:
    """τ > 0 minimising the mean log-loss -log softmax(τ z_i)[y_i] of logits z (N, C).

    The loss is convex in τ; it is minimised over log τ within ``TEMPERATURE_BOUNDS`` (a
    training set the scores separate perfectly would otherwise send τ to infinity).
    """
    picked = scores[np.arange(len(codes)), codes]

    def loss(log_tau: float) -> float:
        tau = np.exp(log_tau)
        return float(np.mean(scipy.special.logsumexp(tau * scores, axis=1) - tau * picked))

    low, high = np.log(TEMPERATURE_BOUNDS)
    best = scipy.optimize.minimize_scalar(loss, bounds=(low, high), method="bounded",
                                          options={"xatol": 1e-6})
    return float(np.exp(best.x))


class ReservoirClassifier(Estimator):
    """An echo state network classifier with scikit-learn habits: ``fit``, ``predict``,
    ``predict_proba``, ``decision_function``, ``score``.

    Math:
        h_t = (1 - a) h_{t-1} + a tanh(W_hh h_{t-1} + W_xh x_t + b),   h_0 = 0
        f_i = [h_{T_i}, (1/T_i) Σ_{t=1..T_i} h_t]                   (2N features of series i)
        Y_ic = +1 if y_i = c else -1       (one column per class; one, for classes_[1], if C = 2)
        Wᵀ = (F_cᵀ F_c + λ I)⁻¹ F_cᵀ Y_c,   b = ȳ - W f̄              (F_c, Y_c: centred)
        s(x) = W f(x) + b;   predict: argmax_c s_c   (two classes: classes_[1] if s > 0)
        LOO: ŷ_(-i) = y_i - (y_i - ŷ_i) / (1 - H_ii),  H = 11ᵀ/n + U diag(s²/(s² + λ)) Uᵀ
        p(c | x) = softmax(τ z(x))_c,   z = s (C > 2) or [-s, s] (C = 2)
    λ is the value of ``RIDGE_GRID`` with the least leave-one-out squared error Σ (y - ŷ_(-i))²
    (``select_ridge``; computed exactly from one SVD of F_c = U S Vᵀ, no refits), else
    ``ridge``. τ minimises the log-loss of the leave-one-out scores on the training series,
    so that the probabilities are as confident as held-out scores warrant, not as confident as
    scores on the series the readout was fitted to.

    Parameters
    ----------
    units, bias_scaling, connectivity, activation, ridge
        As :class:`~rnnkit.reservoir.ReservoirConfig` (its defaults too).
    spectral_radius, input_scaling
        0.5 and 0.25, not ReservoirConfig's 1.25 and 1.0 (tuned for forecasting): chosen by
        5-fold cross-validation (3 repeats, 5 seeds) on ECG200's training series only, over
        spectral_radius {0.5, 0.9, 1.25} x leak_rate {0.05 .. 1} x input_scaling {0.1 .. 1}.
        A contracting reservoir fed gently stays near tanh's linear range and keeps the echo
        state property, so a series' features depend on the series, not on chaotic detail.
    leak_rate
        As ReservoirConfig (0.3), which the same search also chose.
    select_ridge
        Choose λ from ``RIDGE_GRID`` by exact leave-one-out error (``ridge`` is then unused).
    seed
        Draws the reservoir (:class:`~rnnkit.reservoir.Reservoir`); everything else is
        deterministic.

    Fitted: ``classes_`` (sorted labels), ``reservoir_``, ``ridge_`` (λ used), ``coef_``
    (1, 2N) or (C, 2N), ``intercept_`` (1,) or (C,), ``temperature_`` (τ), ``n_features_in_``.

    Inputs ``X``: an array (N, T, F) whose shorter series end in NaN rows, or a list of
    (T_i, F) arrays; labels ``y`` (N,) of any sortable kind.

    Example
    -------
    >>> t = np.arange(30)
    >>> X = [np.sin(t[: 20 + k % 7] * (0.3 + 0.4 * (k % 2)))[:, None] for k in range(20)]
    >>> y = ["slow" if k % 2 == 0 else "fast" for k in range(20)]
    >>> clf = ReservoirClassifier(units=50).fit(X, y)
    >>> clf.classes_.tolist(), clf.coef_.shape, clf.predict_proba(X).shape, clf.score(X, y)
    (['fast', 'slow'], (1, 100), (20, 2), 1.0)
    """

    kind: ClassVar[str] = "reservoir"
    validates: ClassVar[bool] = False  # learns from every training series (no early stopping)
    fitted_attribute: ClassVar[str] = "n_features_in_"

    def __init__(self, units: int = ReservoirConfig.units, spectral_radius: float = 0.5,
                 leak_rate: float = ReservoirConfig.leak_rate, input_scaling: float = 0.25,
                 bias_scaling: float = ReservoirConfig.bias_scaling,
                 connectivity: float = ReservoirConfig.connectivity,
                 activation: str = ReservoirConfig.activation,
                 ridge: float = ReservoirConfig.ridge, select_ridge: bool = True,
                 seed: int = 0) -> None:
        self.units = units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.connectivity = connectivity
        self.activation = activation
        self.ridge = ridge
        self.select_ridge = select_ridge
        self.seed = seed

    def _check_params(self) -> None:
        ReservoirConfig(**{name: getattr(self, name) for name in RESERVOIR_PARAMS})  # checks them
        if not isinstance(self.select_ridge, bool | np.bool_):
            raise TypeError(f"select_ridge must be a bool, got "
                            f"{type(self.select_ridge).__name__}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise TypeError(f"seed must be an int, got {type(self.seed).__name__}")

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X, y, num_classes: int | None = None, **member_options,
            ) -> "ReservoirClassifier":
        """Draw the reservoir, collect the training series' features, solve the readout.

        ``num_classes`` and ``member_options`` (validation part, class weights, the training
        loop's options: what a SequenceClassifier gives every member) do not apply: there is
        no training loop, and the readout sees every class of ``y``.
        """
        self._check_params()
        x, lengths = padded_series("X", X)
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(x):
            raise InputError(f"y must hold one label per series: {len(x)}, got shape "
                             f"{labels.shape}")
        classes, codes = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise InputError(f"y has a single class ({classes[0]!r}): a classifier needs at "
                             "least two")
        self.reservoir_ = Reservoir(
            x.shape[2], self.units, spectral_radius=self.spectral_radius,
            leak_rate=self.leak_rate, input_scaling=self.input_scaling,
            bias_scaling=self.bias_scaling, connectivity=self.connectivity,
            activation=self.activation, seed=self.seed)
        features = reservoir_features(self.reservoir_, x, lengths)  # (n, 2N)
        targets = np.where(codes[:, None] == np.arange(len(classes)), 1.0, -1.0)  # (n, C)
        if len(classes) == 2:
            targets = targets[:, 1:]  # one column, +1 for classes_[1]
        ridges = RIDGE_GRID if self.select_ridge else (self.ridge,)
        loo = loo_ridge_scores(features, targets, ridges)  # (len(ridges), n, O)
        best = int(np.argmin(((loo - targets) ** 2).sum(axis=(1, 2))))
        self.ridge_ = float(ridges[best])
        self.coef_, self.intercept_ = ridge_readout(features, targets, self.ridge_)
        scores = loo[best][:, 0] if len(classes) == 2 else loo[best]
        self.temperature_ = fit_temperature(class_logits(scores), codes)
        self.classes_, self.n_features_in_ = classes, x.shape[2]
        self.history_ = None  # nothing trained by gradient
        return self

    # -- using the fitted classifier -------------------------------------------------------
    def features(self, X) -> np.ndarray:
        """Each series' reservoir features [h_{T_i}, mean of h_t over its steps]: (N, 2 units)."""
        self.check_fitted()
        return reservoir_features(self.reservoir_, *padded_series("X", X, self.n_features_in_))

    def decision_function(self, X) -> np.ndarray:
        """Ridge scores s = W f + b: (N,) for two classes (> 0: classes_[1]), else (N, C)."""
        scores = self.features(X) @ self.coef_.T + self.intercept_
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X) -> np.ndarray:
        """The class with the highest score of each series (N,)."""
        scores = self.decision_function(X)
        best = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[best]

    def predict_proba(self, X) -> np.ndarray:
        """softmax(τ z) per series (N, C), columns in ``classes_`` order."""
        self.check_fitted()
        logits = self.temperature_ * class_logits(self.decision_function(X))
        return scipy.special.softmax(logits, axis=1)

    def score(self, X, y) -> float:
        """Accuracy: the share of series whose predicted class is ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # -- persistence -----------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as named arrays (W_hh as CSR parts), for safetensors.

        ``classes`` is ``classes_`` as it is: numbers convert to tensors, strings do not.
        """
        self.check_fitted()
        return self.reservoir_.to_arrays() | {
            "coef": self.coef_, "intercept": self.intercept_, "classes": self.classes_,
            "ridge": np.array([self.ridge_]), "temperature": np.array([self.temperature_])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict) -> "ReservoirClassifier":
        """Rebuild a fitted classifier from :meth:`to_arrays` and :meth:`get_params`' output
        (no redraw, no eigenvalues, no refit)."""
        clf = cls(**params)
        clf.reservoir_ = Reservoir.from_arrays(arrays, clf.leak_rate, clf.activation)
        clf.coef_, clf.intercept_ = np.asarray(arrays["coef"]), np.asarray(arrays["intercept"])
        clf.classes_ = np.asarray(arrays["classes"])
        clf.ridge_ = float(np.asarray(arrays["ridge"])[0])
        clf.temperature_ = float(np.asarray(arrays["temperature"])[0])
        clf.n_features_in_ = clf.reservoir_.input_size
        clf.history_ = None
        return clf

    # -- as a SequenceClassifier's member --------------------------------------------------
    def reseeded(self, seed: int) -> "ReservoirClassifier":
        """An unfitted copy with another seed."""
        return type(self)(**self.hyperparameters() | {"seed": seed})

    def attention(self, x: np.ndarray) -> np.ndarray:
        raise InputError("attention weights need a network with pooling='attention'")

    def to(self, device: str) -> "ReservoirClassifier":
        """The reservoir computes with NumPy and SciPy: on the CPU, whatever ``device`` says."""
        return self

    def params(self) -> dict:
        return self.hyperparameters()

    @classmethod
    def from_params(cls, params: dict) -> "ReservoirClassifier":
        return cls(**params)

    def tensors(self) -> dict[str, Tensor]:
        return {name: torch.from_numpy(np.ascontiguousarray(a))
                for name, a in self.to_arrays().items()}

    def load_tensors(self, tensors: dict[str, Tensor]) -> "ReservoirClassifier":
        return self.from_arrays({name: t.numpy() for name, t in tensors.items()},
                                self.hyperparameters())


RESERVOIR_PARAMS = ("units", "spectral_radius", "leak_rate", "input_scaling", "bias_scaling",
                    "connectivity", "activation", "ridge")  # those ReservoirConfig checks

__all__ = ["ReservoirClassifier", "class_logits", "fit_temperature", "loo_ridge_scores",
           "padded_series"]
