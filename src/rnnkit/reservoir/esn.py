"""Echo state networks: a fixed random reservoir and a readout solved in closed form.

The tutorial's fourth variant::

    h_t = (1 - a) h_{t-1} + a · f(W_hh h_{t-1} + W_xh x_t + W_fb y_{t-1} + b)
    y_t = W_out h_t + b_out

W_hh, W_xh, W_fb and b are drawn once and never trained (W_hh rescaled so that its largest
|eigenvalue| is exactly ``spectral_radius``); only W_out, b_out are learned, by ridge regression
in closed form (or recursive least squares, online). a is the leak rate (a = 1: no leak).

No gradient flows through a reservoir, so it runs on NumPy and SciPy's sparse kernels rather
than torch: the recurrent product is a sparse matrix-vector product whose cost is the number of
connections, and the inputs' share W_xh x_t + b of every step is computed for all t at once.
"""

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from rnnkit._checks import (
    InputError,
    check_choice,
    check_in_range,
    check_non_negative_int,
    check_positive_int,
)
from rnnkit._fields import opt

ACTIVATIONS = {"tanh": np.tanh, "identity": None}
READOUTS = ("ridge", "rls")
RIDGE_GRID = (1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2)  # the λ tried when one is chosen on validation
DRIVE_BLOCK = 256  # time steps whose input drive is computed at once: (B, 256, N) floats
DENSE_EIGEN_MAX_UNITS = 64  # smaller reservoirs get all eigenvalues; larger ones ARPACK's largest


@dataclass(frozen=True)
class ReservoirConfig:
    """An echo state network's hyperparameters: the keyword arguments of :class:`ESN` they feed
    (a test checks it), with their defaults and limits in one place."""

    units: int = opt(500, "reservoir units N")
    spectral_radius: float = opt(1.25, "largest |eigenvalue| of W_hh, set exactly")
    leak_rate: float = opt(0.3, "a in h_t = (1 - a) h_{t-1} + a f(...), in (0, 1]")
    input_scaling: float = opt(1.0, "W_xh ~ U(-s, s)")
    bias_scaling: float = opt(0.2, "b ~ U(-s, s)")
    connectivity: float = opt(0.1, "fraction of nonzero W_hh entries (sparse for large N)")
    activation: str = opt("tanh", "reservoir nonlinearity f", tuple(ACTIVATIONS))
    ridge: float = opt(1e-6, "ridge penalty λ of the closed-form readout")
    washout: int = opt(100, "first steps of each sequence left out of the readout's fit "
                       "(forecast: each window's first lookback - 1)")

    def __post_init__(self) -> None:
        check_positive_int("units", self.units)
        check_in_range("spectral_radius", self.spectral_radius, 0.0, 1e6, low_open=True)
        check_in_range("leak_rate", self.leak_rate, 0.0, 1.0, low_open=True)
        check_in_range("input_scaling", self.input_scaling, 0.0, 1e6)
        check_in_range("bias_scaling", self.bias_scaling, 0.0, 1e6)
        check_in_range("connectivity", self.connectivity, 0.0, 1.0, low_open=True)
        check_choice("activation", self.activation, tuple(ACTIVATIONS))
        check_in_range("ridge", self.ridge, 0.0, 1e12)
        check_non_negative_int("washout", self.washout)


def spectral_radius_of(matrix) -> float:
    """max |λ| over the eigenvalues of a square (sparse or dense) matrix.

    Up to 64 units all eigenvalues are computed densely (O(N³)); beyond, ARPACK's implicitly
    restarted Arnoldi method works from sparse products alone and scales to thousands of units.
    The eigenvalues of a random matrix crowd the rim of a disc (the circular law), where
    ARPACK's single largest one with its default subspace can settle on a lesser eigenvalue
    (seen: 1.8% low at 2000 units); asking for the 10 largest with a 60-vector subspace found
    the true radius to 1e-13 in every case tried up to 2000 units.
    """
    n = matrix.shape[0]
    if n <= DENSE_EIGEN_MAX_UNITS:
        dense = matrix.toarray() if scipy.sparse.issparse(matrix) else matrix
        return float(np.abs(np.linalg.eigvals(dense)).max())
    k = min(10, n - 2)
    start = np.ones(n) / np.sqrt(n)  # a fixed start vector: the result does not depend on luck
    eigenvalues = scipy.sparse.linalg.eigs(matrix, k=k, which="LM", v0=start, tol=1e-10,
                                           ncv=min(n, 6 * k), return_eigenvectors=False)
    return float(np.abs(eigenvalues).max())


class Reservoir:
    """The fixed part of an ESN: W_hh (sparse), W_xh, b and optionally W_fb.

    Weights are drawn from ``seed`` only, one NumPy generator per matrix (spawned from one
    ``SeedSequence``): W_hh has ``connectivity`` · units² nonzero N(0, 1) entries, rescaled to
    ``spectral_radius``; W_xh ~ U(-input_scaling, input_scaling), b ~ U(-bias_scaling,
    bias_scaling), W_fb ~ U(-feedback_scaling, feedback_scaling), all dense.

    Attributes: ``weight_hh`` (scipy CSR, (N, N)), ``weight_ih`` (N, F), ``bias`` (N,),
    ``weight_fb`` (N, O) or None.
    """

    def __init__(self, input_size: int, units: int = ReservoirConfig.units, *,
                 spectral_radius: float = ReservoirConfig.spectral_radius,
                 leak_rate: float = ReservoirConfig.leak_rate,
                 input_scaling: float = ReservoirConfig.input_scaling,
                 bias_scaling: float = ReservoirConfig.bias_scaling,
                 connectivity: float = ReservoirConfig.connectivity,
                 activation: str = ReservoirConfig.activation, feedback_size: int = 0,
                 feedback_scaling: float = 0.0, seed: int = 0) -> None:
        check_positive_int("input_size", input_size)
        ReservoirConfig(units=units, spectral_radius=spectral_radius, leak_rate=leak_rate,
                        input_scaling=input_scaling, bias_scaling=bias_scaling,
                        connectivity=connectivity, activation=activation)  # checks them
        check_non_negative_int("feedback_size", feedback_size)
        check_in_range("feedback_scaling", feedback_scaling, 0.0, 1e6)
        self.units, self.leak_rate, self.activation = units, leak_rate, activation
        rng_hh, rng_ih, rng_b, rng_fb = (np.random.default_rng(s) for s in
                                         np.random.SeedSequence(seed).spawn(4))
        w = scipy.sparse.random_array((units, units), density=connectivity, format="csr",
                                      rng=rng_hh, data_sampler=rng_hh.standard_normal)
        radius = spectral_radius_of(w)
        if radius == 0.0:
            raise InputError(f"connectivity={connectivity} leaves W_hh with no cycle (all "
                             f"eigenvalues 0) for units={units}: raise connectivity")
        self.weight_hh = (w * (spectral_radius / radius)).tocsr()
        self.weight_ih = rng_ih.uniform(-input_scaling, input_scaling, (units, input_size))
        self.bias = rng_b.uniform(-bias_scaling, bias_scaling, units)
        self.weight_fb = (rng_fb.uniform(-feedback_scaling, feedback_scaling,
                                         (units, feedback_size)) if feedback_size else None)

    @property
    def input_size(self) -> int:
        return self.weight_ih.shape[1]

    def drive(self, x: np.ndarray, y_prev: np.ndarray | None = None) -> np.ndarray:
        """W_xh x_t + W_fb y_{t-1} + b as rows: x (..., F), y_prev (..., O) -> (..., N)."""
        out = x @ self.weight_ih.T + self.bias
        if y_prev is not None:
            out += y_prev @ self.weight_fb.T
        return out

    def step(self, h: np.ndarray, drive: np.ndarray) -> np.ndarray:
        """One update, in place, of states stored as columns: h (N, B), drive (N, B)."""
        pre = self.weight_hh @ h
        pre += drive
        f = ACTIVATIONS[self.activation]
        if f is not None:
            f(pre, out=pre)
        a = self.leak_rate
        h *= 1.0 - a
        pre *= a
        h += pre
        return h

    def run(self, x: np.ndarray, state: np.ndarray | None = None,
            feedback: np.ndarray | None = None, washout: int = 0) -> np.ndarray:
        """States h_{washout+1} .. h_T for inputs (B, T, F), from ``state`` (B, N) or zeros.

        ``feedback`` (B, T, O) holds y_{t-1} for each step (teacher forcing). The first
        ``washout`` states are computed but not kept. Returns (B, T - washout, N).
        """
        b, t_len, _ = x.shape
        h = np.zeros((self.units, b)) if state is None else np.array(state, float).T
        states = np.empty((b, t_len - washout, self.units))
        for start in range(0, t_len, DRIVE_BLOCK):  # the inputs' share of a block at once
            block = slice(start, start + DRIVE_BLOCK)
            drive = self.drive(x[:, block], None if feedback is None else feedback[:, block])
            for k in range(drive.shape[1]):
                h = self.step(h, drive[:, k].T)
                if start + k >= washout:
                    states[:, start + k - washout] = h.T
        return states

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every weight as a dense-friendly array (W_hh as CSR parts), for safetensors."""
        w = self.weight_hh
        arrays = {"weight_hh.data": w.data, "weight_hh.indices": w.indices.astype(np.int64),
                  "weight_hh.indptr": w.indptr.astype(np.int64), "weight_ih": self.weight_ih,
                  "bias": self.bias}
        if self.weight_fb is not None:
            arrays["weight_fb"] = self.weight_fb
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], leak_rate: float,
                    activation: str) -> "Reservoir":
        """Rebuild a reservoir saved by :meth:`to_arrays` (no redraw, no eigenvalues)."""
        reservoir = cls.__new__(cls)
        units = len(arrays["bias"])
        reservoir.units, reservoir.leak_rate, reservoir.activation = units, leak_rate, activation
        reservoir.weight_hh = scipy.sparse.csr_array(
            (arrays["weight_hh.data"], arrays["weight_hh.indices"], arrays["weight_hh.indptr"]),
            shape=(units, units))
        reservoir.weight_ih, reservoir.bias = arrays["weight_ih"], arrays["bias"]
        reservoir.weight_fb = arrays.get("weight_fb")
        return reservoir


def ridge_readout(states: np.ndarray, targets: np.ndarray, ridge: float,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form ridge regression with an unpenalised intercept: (W_out (O, N), b_out (O,)).

    With X the states (n, N) and Y the targets (n, O), centred by their means x̄, ȳ::

        W_outᵀ = (X_cᵀ X_c + λ I)⁻¹ X_cᵀ Y_c,    b_out = ȳ - W_out x̄

    the minimiser of ‖Y - X W_outᵀ - b_out‖² + λ ‖W_out‖² (scikit-learn's ``Ridge(alpha=λ)``).
    Solved by a Cholesky factorisation of the N × N Gram matrix.
    """
    mean_x, mean_y = states.mean(axis=0), targets.mean(axis=0)
    xc, yc = states - mean_x, targets - mean_y
    gram = xc.T @ xc
    gram[np.diag_indices_from(gram)] += ridge
    try:
        weight = scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram), xc.T @ yc).T
    except np.linalg.LinAlgError:  # singular when ridge = 0
        weight = np.linalg.lstsq(xc, yc, rcond=None)[0].T
    return weight, mean_y - weight @ mean_x


class RecursiveLeastSquares:
    """Online readout: W_out and b_out updated one sample at a time (streaming data).

    With z = [h; 1], the gain k = P z / (λ_f + zᵀ P z), the error e = y - W z, then
    W <- W + e kᵀ and P <- (P - k zᵀ P) / λ_f, from P_0 = I / ridge. With forgetting λ_f = 1
    the result after n samples equals ridge regression on [h; 1] with the intercept penalised
    too: W = Yᵀ Z (Zᵀ Z + ridge · I)⁻¹. λ_f < 1 weighs old samples down (drifting data).
    """

    def __init__(self, num_features: int, num_outputs: int, ridge: float = 1e-2,
                 forgetting: float = 1.0) -> None:
        check_in_range("ridge", ridge, 0.0, 1e12, low_open=True)
        check_in_range("forgetting", forgetting, 0.0, 1.0, low_open=True)
        self.forgetting = forgetting
        self.weight_aug = np.zeros((num_outputs, num_features + 1))
        self.precision_inv = np.eye(num_features + 1) / ridge  # P

    def update(self, h: np.ndarray, y: np.ndarray) -> None:
        """Take one sample: state h (N,), target y (O,)."""
        z = np.append(h, 1.0)
        pz = self.precision_inv @ z
        k = pz / (self.forgetting + z @ pz)
        self.weight_aug += np.outer(y - self.weight_aug @ z, k)
        self.precision_inv -= np.outer(k, pz)
        self.precision_inv /= self.forgetting

    @property
    def weight(self) -> np.ndarray:
        return self.weight_aug[:, :-1]

    @property
    def bias(self) -> np.ndarray:
        return self.weight_aug[:, -1]


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


class ESN:
    """An echo state network with scikit-learn habits: ``fit``, ``predict``, ``generate``.

    Hyperparameters are stored as given; ``fit`` draws ``reservoir_`` (from ``seed``, once the
    number of input features is known) and learns ``weight_out_`` (O, N) and ``bias_out_`` (O,).

    Parameters
    ----------
    units, spectral_radius, leak_rate, input_scaling, bias_scaling, connectivity
        The reservoir (see :class:`Reservoir`).
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

    def get_params(self) -> dict:
        """The constructor's arguments, as given (scikit-learn's get_params)."""
        return {name: getattr(self, name) for name in _PARAMS}

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
    def _check_fitted(self) -> None:
        if not hasattr(self, "weight_out_"):
            raise InputError("this ESN is not fitted yet: call fit first")

    def _output(self, h: np.ndarray) -> np.ndarray:
        """y = W_out h + b_out for states stored as rows (..., N) -> (..., O)."""
        return h @ self.weight_out_.T + self.bias_out_

    def predict(self, X, washout: int = 0) -> np.ndarray:
        """Teacher-forced outputs: y_t from the observed inputs x_1 .. x_t, from the zero state.

        Outputs before step ``washout`` are not returned (nor stored). Returns (T - washout, O)
        for one sequence, (B, T - washout, O) for a batch.
        """
        self._check_fitted()
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
        self._check_fitted()
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
        self._check_fitted()
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
        """Write the fitted network as an rnnkit model folder (:func:`rnnkit.io.files.save_model`)."""
        import torch

        from rnnkit.io.files import save_model

        tensors = {name: torch.from_numpy(np.ascontiguousarray(a))
                   for name, a in self.state_arrays().items()}
        save_model(path, "ESN", tensors, {"params": self.get_params()})

    @classmethod
    def load(cls, path: str | Path) -> "ESN":
        """Rebuild a fitted ESN from a folder written by :meth:`save` (no unpickling)."""
        from rnnkit.io.files import load_model, rebuilding

        tensors, config = load_model(path, "ESN")
        with rebuilding(path):
            return cls(**config["params"]).load_state_arrays({k: t.numpy() for k, t in
                                                              tensors.items()})


_PARAMS = ("units", "spectral_radius", "leak_rate", "input_scaling", "bias_scaling", "connectivity",
           "ridge", "washout", "activation", "feedback_scaling", "readout", "forgetting", "seed")


def _shift_right(y: np.ndarray) -> np.ndarray:
    """y_{t-1} for every step t of (B, T, O), zeros at t = 0."""
    shifted = np.zeros_like(y)
    shifted[:, 1:] = y[:, :-1]
    return shifted


__all__ = ["ESN", "RecursiveLeastSquares", "ReservoirConfig", "Reservoir", "ridge_readout",
           "spectral_radius_of"]
