"""Echo state networks: a fixed random reservoir and a readout solved in closed form.

The tutorial's fourth variant::

    h_t = (1 - a) h_{t-1} + a · f(W_hh h_{t-1} + W_xh x_t + W_fb y_{t-1} + b)
    y_t = W_out h_t + b_out

The reservoir (:mod:`rnnkit.reservoir.reservoir`) is drawn once and never trained; only W_out,
b_out are learned, by ridge regression in closed form or recursive least squares, online
(:mod:`rnnkit.reservoir.readouts`). :class:`ESN` is the estimator over both.
"""

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from rnnkit._checks import (
    InputError,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit.base import Estimator
from rnnkit.reservoir.readouts import RecursiveLeastSquares, ridge_readout
from rnnkit.reservoir.reservoir import Reservoir, ReservoirConfig

READOUTS = ("ridge", "rls")


@dataclass(frozen=True)
class Sequences:
    """Inputs as (B, T, F) and whether the caller gave one (T, F) sequence."""

    values: np.ndarray
    single: bool


def as_sequences(name: str, data, features: int | None = None) -> Sequences:
    """``data`` (T,), (T, F) or (B, T, F) as finite (B, T, F) floats; errors name ``name``."""
    values = np.asarray(data, dtype=float)
    single = values.ndim <= 2
    if values.ndim == 1:
        values = values[:, None]
    if single:
        values = values[None]
    if values.ndim != 3 or values.shape[1] == 0:
        raise InputError(f"{name} must be (T,), (T, F) or (B, T, F) with T >= 1, got shape "
                         f"{np.shape(data)}")
    if not np.isfinite(values).all():
        raise InputError(f"{name} has NaN or infinite values")
    if features is not None and values.shape[2] != features:
        raise InputError(f"{name} has {values.shape[2]} features per step, the model "
                         f"expects {features}")
    return Sequences(values, single)


class ESN(Estimator):
    """An echo state network with scikit-learn habits: ``fit``, ``predict``, ``generate``.

    Hyperparameters are stored as given; ``fit`` draws ``reservoir_`` (from ``seed``, once the
    number of input features is known) and learns ``weight_out_`` (O, N) and ``bias_out_`` (O,).

    Parameters
    ----------
    units, spectral_radius, leak_rate, input_scaling, bias_scaling, connectivity
        The reservoir (see :class:`~rnnkit.reservoir.reservoir.Reservoir`).
    ridge
        λ of the ridge readout (or P_0 = I/λ for ``readout="rls"``).
    washout
        Steps at the start of every sequence left out of the fit, while the state forgets
        its zero start.
    feedback_scaling
        > 0: the previous output enters the reservoir through W_fb (teacher forced in ``fit``
        with the previous target, the model's own output in ``predict`` and ``generate``).
    readout
        "ridge" (closed form) or "rls" (recursive least squares, one sample at a time).
    forgetting
        RLS forgetting factor λ_f in (0, 1].

    Example
    -------
    >>> x = np.sin(np.arange(400) / 8)
    >>> esn = ESN(units=50, seed=0).fit(x[:-1], x[1:], washout=50)
    >>> esn.predict(x[:-1]).shape
    (399, 1)
    """

    fitted_attribute = "num_outputs_"

    def __init__(self, units: int = ReservoirConfig.units,
                 spectral_radius: float = ReservoirConfig.spectral_radius,
                 leak_rate: float = ReservoirConfig.leak_rate,
                 input_scaling: float = ReservoirConfig.input_scaling,
                 bias_scaling: float = ReservoirConfig.bias_scaling,
                 connectivity: float = ReservoirConfig.connectivity,
                 ridge: float = ReservoirConfig.ridge, washout: int = ReservoirConfig.washout,
                 activation: str = ReservoirConfig.activation, feedback_scaling: float = 0.0,
                 readout: str = "ridge", forgetting: float = 1.0, seed: int = 0) -> None:
        self.units = units
        self.spectral_radius = spectral_radius
        self.leak_rate = leak_rate
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.connectivity = connectivity
        self.ridge = ridge
        self.washout = washout
        self.activation = activation
        self.feedback_scaling = feedback_scaling
        self.readout = readout
        self.forgetting = forgetting
        self.seed = seed

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X, Y, washout: int | None = None) -> "ESN":
        """Learn the readout from inputs X and targets Y, step by step.

        X: (T,), (T, F) or (B, T, F); Y the same with O outputs per step. Every sequence starts
        from the zero state; its first ``washout`` steps (default: the ``washout``
        hyperparameter) are left out of the regression.
        """
        ReservoirConfig(**{f.name: getattr(self, f.name) for f in fields(ReservoirConfig)})
        check_in_range("feedback_scaling", self.feedback_scaling, 0.0, 1e6)
        check_choice("readout", self.readout, READOUTS)
        washout = self.washout if washout is None else check_non_negative_int("washout", washout)
        x = as_sequences("X", X).values
        y = as_sequences("Y", Y).values
        if y.shape[:2] != x.shape[:2]:
            raise InputError(f"X and Y must have the same sequences and steps, got X "
                             f"{x.shape[:2]} and Y {y.shape[:2]} (B, T)")
        if washout >= x.shape[1]:
            raise InputError(f"washout ({washout}) must be shorter than the sequences "
                             f"({x.shape[1]} steps)")
        use_feedback = self.feedback_scaling > 0
        self.reservoir_ = Reservoir(
            x.shape[2], self.units, spectral_radius=self.spectral_radius,
            leak_rate=self.leak_rate, input_scaling=self.input_scaling,
            bias_scaling=self.bias_scaling, connectivity=self.connectivity,
            activation=self.activation, feedback_size=y.shape[2] if use_feedback else 0,
            feedback_scaling=self.feedback_scaling, seed=self.seed)
        previous = _shift_right(y) if use_feedback else None
        states = self.reservoir_.run(x, feedback=previous, washout=washout)  # (B, T - w, N)
        h, targets = states.reshape(-1, self.units), y[:, washout:].reshape(-1, y.shape[2])
        if self.readout == "ridge":
            self.weight_out_, self.bias_out_ = ridge_readout(h, targets, self.ridge)
        else:
            rls = RecursiveLeastSquares(self.units, y.shape[2], self.ridge, self.forgetting)
            for h_t, y_t in zip(h, targets, strict=True):
                rls.update(h_t, y_t)
            self.weight_out_, self.bias_out_ = rls.weight.copy(), rls.bias.copy()
        self.num_features_in_, self.num_outputs_ = x.shape[2], y.shape[2]
        return self

    # -- using the fitted network ----------------------------------------------------------
    def _output(self, h: np.ndarray) -> np.ndarray:
        """y = W_out h + b_out for states stored as rows (..., N) -> (..., O)."""
        return h @ self.weight_out_.T + self.bias_out_

    def predict(self, X, washout: int = 0) -> np.ndarray:
        """Teacher-forced outputs: y_t from the observed inputs x_1 .. x_t, from the zero state.

        Outputs before step ``washout`` are not returned (nor stored). Returns (T - washout, O)
        for one sequence, (B, T - washout, O) for a batch.
        """
        self.check_fitted()
        seqs = as_sequences("X", X, self.num_features_in_)
        check_non_negative_int("washout", washout)
        if washout >= seqs.values.shape[1]:
            raise InputError(f"washout ({washout}) must be shorter than the sequences "
                             f"({seqs.values.shape[1]} steps)")
        if self.reservoir_.weight_fb is None:
            out = self._output(self.reservoir_.run(seqs.values, washout=washout))
        else:
            out = self._run_with_own_feedback(seqs.values)[:, washout:]
        return out[0] if seqs.single else out

    def _run_with_own_feedback(self, x: np.ndarray) -> np.ndarray:
        r = self.reservoir_
        b, t_len, _ = x.shape
        h, y = np.zeros((self.units, b)), np.zeros((b, self.num_outputs_))
        out = np.empty((b, t_len, self.num_outputs_))
        for t in range(t_len):
            h = r.step(h, r.drive(x[:, t], y).T)
            y = out[:, t] = self._output(h.T)
        return out

    def generate(self, n_steps: int, warmup) -> np.ndarray:
        """Closed loop: after ``warmup`` (observed inputs, teacher forced) each prediction is
        fed back as the next input. Needs as many outputs as inputs.

        Returns the ``n_steps`` predictions (n_steps, O): the first is the step after the
        warm-up's last input.
        """
        self.check_fitted()
        check_positive_int("n_steps", n_steps)
        if self.num_outputs_ != self.num_features_in_:
            raise InputError(f"generate feeds outputs back as inputs: the model has "
                             f"{self.num_features_in_} inputs but {self.num_outputs_} outputs")
        x = as_sequences("warmup", warmup, self.num_features_in_)
        if not x.single:
            raise InputError("warmup must be one sequence (T,) or (T, F)")
        r = self.reservoir_
        # teacher-forced warm-up: outputs are next inputs, so y_{t-1} (the feedback) is x_t,
        # except y_0 := 0 at the first step, as in fit and predict
        feedback = None
        if r.weight_fb is not None:
            feedback = x.values.copy()
            feedback[:, 0] = 0.0
        states = r.run(x.values, feedback=feedback)
        h = states[0, -1][:, None].copy()  # (N, 1), updated in place below
        y = self._output(h.T)  # (1, O)
        out = np.empty((n_steps, self.num_outputs_))
        for t in range(n_steps):
            out[t] = y[0]
            if t + 1 == n_steps:
                break
            h = r.step(h, r.drive(y, y if r.weight_fb is not None else None).T)
            y = self._output(h.T)
        return out

    # -- persistence -----------------------------------------------------------------------
    def state_arrays(self) -> dict[str, np.ndarray]:
        """The fitted weights as named arrays (W_hh as CSR parts): what ``save`` writes."""
        self.check_fitted()
        return self.reservoir_.to_arrays() | {"weight_out": self.weight_out_,
                                              "bias_out": self.bias_out_}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> "ESN":
        """Set the fitted state from :meth:`state_arrays`' output (no redraw, no eigenvalues)."""
        self.reservoir_ = Reservoir.from_arrays(arrays, self.leak_rate, self.activation)
        self.weight_out_, self.bias_out_ = arrays["weight_out"], arrays["bias_out"]
        self.num_features_in_ = self.reservoir_.input_size
        self.num_outputs_ = len(self.bias_out_)
        return self

    def save(self, path: str | Path) -> None:
        """Write the fitted network as an rnnkit model folder
        (:func:`rnnkit.io.files.save_model`)."""
        import torch

        from rnnkit.io.files import save_model

        tensors = {name: torch.from_numpy(np.ascontiguousarray(a))
                   for name, a in self.state_arrays().items()}
        save_model(path, "ESN", tensors, {"params": self.hyperparameters()})

    @classmethod
    def load(cls, path: str | Path) -> "ESN":
        """Rebuild a fitted ESN from a folder written by :meth:`save` (no unpickling)."""
        from rnnkit.io.files import load_model, rebuilding

        tensors, config = load_model(path, "ESN")
        with rebuilding(path):
            return cls(**config["params"]).load_state_arrays({k: t.numpy() for k, t in
                                                              tensors.items()})


def _shift_right(y: np.ndarray) -> np.ndarray:
    """y_{t-1} for every step t of (B, T, O), zeros at t = 0."""
    shifted = np.zeros_like(y)
    shifted[:, 1:] = y[:, :-1]
    return shifted


__all__ = ["ESN", "READOUTS", "Sequences", "as_sequences"]
