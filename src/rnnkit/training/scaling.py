"""Column-wise input scaling fitted on training rows only, shared by every estimator."""

import numpy as np

from rnnkit._checks import InputError, check_choice, check_shape

SCALER_KINDS = ("minmax", "standard")


class Scaler:
    """Column-wise affine scaling, fitted on the training rows only (sklearn's two scalers).

    Math (per column, over the fitted rows x):
        minmax:   z = (x - min_) / scale_,    min_ = min x,    scale_ = max x - min x
        standard: z = (x - mean_) / scale_,   mean_ = mean x,  scale_ = std x (ddof 0)
        inverse:  x = z scale_ + (min_ or mean_)
    minmax maps the fitted rows onto [0, 1] (the tutorial's MinMaxScaler), standard to mean 0
    and std 1. A constant column gets scale_ = 1. Unlike sklearn's MinMaxScaler, ``scale_`` is
    the divisor and ``min_`` the column minimum, for both kinds alike.

    Example
    -------
    >>> scaler = Scaler("minmax").fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> scaler.transform(np.array([[2.0, 5.0], [5.0, 6.0]]))
    array([[0.5, 0. ],
           [2. , 1. ]])
    """

    def __init__(self, kind: str = "minmax") -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"Scaler(kind={self.kind!r})"

    def fit(self, X: np.ndarray) -> "Scaler":
        """Learn the per-column offset and scale of X (N, F); returns self."""
        check_choice("kind", self.kind, SCALER_KINDS)
        X = np.asarray(X, dtype=np.float64)
        check_shape("X", X.shape, (None, None), "(N, F)")
        if len(X) == 0:
            raise InputError("X must have at least one row to fit a Scaler, got shape (0, F)")
        if not np.isfinite(X).all():
            raise InputError("X must be finite to fit a Scaler; it has NaN or inf values")
        if self.kind == "minmax":
            self.min_ = X.min(axis=0)
            spread = X.max(axis=0) - self.min_
        else:
            self.mean_ = X.mean(axis=0)
            spread = X.std(axis=0)
        self.scale_ = np.where(spread > 0, spread, 1.0)
        self.num_features_in_ = X.shape[1]
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """z = (x - offset) / scale_, for X (..., F) with the fitted F columns."""
        offset, scale = self._params(X)
        return (np.asarray(X, dtype=np.float64) - offset) / scale

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """x = z scale_ + offset, for Z (..., F): undoes :meth:`transform`."""
        offset, scale = self._params(Z)
        return np.asarray(Z, dtype=np.float64) * scale + offset

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def to_dict(self) -> dict:
        """The kind and learned parameters as JSON-ready lists, for :meth:`from_dict`."""
        offset, scale = self._params()
        name = "min_" if self.kind == "minmax" else "mean_"
        return {"kind": self.kind, name: offset.tolist(), "scale_": scale.tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> "Scaler":
        """A fitted Scaler from :meth:`to_dict`'s output."""
        scaler = cls(check_choice("kind", state["kind"], SCALER_KINDS))
        name = "min_" if scaler.kind == "minmax" else "mean_"
        setattr(scaler, name, np.asarray(state[name], dtype=np.float64))
        scaler.scale_ = np.asarray(state["scale_"], dtype=np.float64)
        scaler.num_features_in_ = len(scaler.scale_)
        return scaler

    def _params(self, X: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(offset, scale_) after checking that the scaler is fitted and X has F columns."""
        if not hasattr(self, "scale_"):
            raise InputError("this Scaler is not fitted yet: call fit(X) first")
        if X is not None and np.shape(X)[-1:] != (self.num_features_in_,):
            raise InputError(f"X must have shape (..., {self.num_features_in_}) like the data "
                             f"the Scaler was fitted on, got {np.shape(X)}")
        offset = self.min_ if self.kind == "minmax" else self.mean_
        return offset, self.scale_
