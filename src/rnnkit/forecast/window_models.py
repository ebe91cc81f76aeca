"""The models behind a Forecaster: fit on windows, predict windows, save and load.

A window model maps input windows x (M, L, F) to targets y (M, H), both already scaled by the
Forecaster, and knows nothing of series, dates or baselines. Two implement the protocol:

    NetworkRegressor    a recurrent stack read at the window's end (models.SequenceRegressor),
                        trained by rnnkit.training.loop on mini-batches of windows
    ReservoirRegressor  an echo state network read at the window's last step: every window
                        starts from the zero state, its first L - 1 states are washout, and
                        the readout is ridge regression of the H targets on h_L

The protocol (what :class:`rnnkit.forecast.forecaster.Forecaster` calls, and all it calls):
    seed, reseeded(seed)          the seed of its randomness; an unfitted copy with another one
    fit(x, y, validation, ...)    learn from windows; sets ``history_`` (a train.History)
    predict(x)                    (M, H) scaled targets
    to(device)                    the fitted model moved to a torch device ("cpu", "cuda")
    params(), from_params(params) JSON-ready hyperparameters, and the unfitted model back
    tensors(), load_tensors(t)    the fitted weights, and a fitted model from them (what the
                                  Forecaster's model folder holds)
Windows may come from one series or many: a window model never asks which.
"""

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import torch
from torch import Tensor

from rnnkit._checks import check_choice
from rnnkit.nn.init import seeded
from rnnkit.nn.models import LOSSES, ModelConfig, SequenceRegressor
from rnnkit.reservoir import ESN, RIDGE_GRID, ReservoirConfig, ridge_readout
from rnnkit.training.batches import Batches
from rnnkit.training.loop import History, TrainConfig, train
from rnnkit.training.runtime import device_of

PREDICT_BATCH = 4096  # windows per forward pass when predicting or validating


class WindowModel(Protocol):
    kind: str
    seed: int
    history_: History

    def reseeded(self, seed: int) -> "WindowModel": ...
    def fit(self, x: np.ndarray, y: np.ndarray,
            validation: tuple[np.ndarray, np.ndarray] | None, **train_options) -> "WindowModel": ...
    def predict(self, x: np.ndarray) -> np.ndarray: ...
    def to(self, device: str) -> "WindowModel": ...
    def params(self) -> dict: ...
    def tensors(self) -> dict[str, Tensor]: ...
    def load_tensors(self, tensors: dict[str, Tensor]) -> "WindowModel": ...


@dataclass
class NetworkRegressor:
    """A recurrent network on windows: ``SequenceRegressor(F, H, **network)`` trained by ``train``.

    The hyperparameters are the dataclass fields (compared by ``==``); fitted state:
    ``module_`` (in eval mode after fit) and ``history_``. The initialisation is drawn from
    ``train.seed`` (torch's generator, forked: the caller's is left alone), as are batch order
    and dropout.
    """

    network: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    loss: str = "mse"
    kind: ClassVar[str] = "network"

    @property
    def seed(self) -> int:
        return self.train.seed

    def reseeded(self, seed: int) -> "NetworkRegressor":
        return NetworkRegressor(self.network, replace(self.train, seed=seed), self.loss)

    def _build(self, input_size: int, output_size: int) -> SequenceRegressor:
        with seeded(self.train.seed):
            return SequenceRegressor(input_size, output_size=output_size, loss=self.loss,
                                     **asdict(self.network))

    def fit(self, x: np.ndarray, y: np.ndarray,
            validation: tuple[np.ndarray, np.ndarray] | None = None, *,
            checkpoint_dir: str | Path | None = None, resume: bool = False,
            on_epoch=None, record: dict | None = None, device: str = "cpu",
            ) -> "NetworkRegressor":
        """Train on windows x (M, L, F) and targets y (M, H) on ``device``; validate on
        ``validation``. Under torchrun every rank calls it (rnnkit.training.loop shares the
        batches)."""
        check_choice("loss", self.loss, tuple(LOSSES))
        cfg = self.train
        self.module_ = self._build(x.shape[-1], y.shape[-1]).to(device)
        val = None if validation is None else Batches(*validation, PREDICT_BATCH, shuffle=False)
        batches = Batches(x, y, cfg.batch_size, True, cfg.seed, max_batches=cfg.epoch_batches)
        self.history_ = train(self.module_, batches, cfg,
                              val_batches=val, checkpoint_dir=checkpoint_dir, resume=resume,
                              on_epoch=on_epoch, record=record)
        self.module_.eval()
        return self

    @torch.no_grad()
    def predict(self, x: np.ndarray) -> np.ndarray:
        device = device_of(self.module_)
        outs = [self.module_(torch.from_numpy(x[i : i + PREDICT_BATCH].astype(np.float32))
                             .to(device))[0] for i in range(0, len(x), PREDICT_BATCH)]
        return torch.cat(outs).double().cpu().numpy()

    def to(self, device: str) -> "NetworkRegressor":
        self.module_.to(device)
        return self

    def params(self) -> dict:
        return {"network": asdict(self.network), "train": asdict(self.train), "loss": self.loss}

    @classmethod
    def from_params(cls, params: dict) -> "NetworkRegressor":
        return cls(ModelConfig(**params["network"]), TrainConfig(**params["train"]),
                   params["loss"])

    def tensors(self) -> dict[str, Tensor]:
        return {name: t.cpu() for name, t in self.module_.state_dict().items()}

    def load_tensors(self, tensors: dict[str, Tensor]) -> "NetworkRegressor":
        """Fitted from saved weights; the sizes come from the shapes of W_xh and W_hy."""
        input_size = tensors["rnn.weight_ih_l0"].shape[1]
        self.module_ = self._build(input_size, tensors["head.weight"].shape[0])
        self.module_.load_state_dict(tensors)
        self.module_.eval()
        self.history_ = History()
        return self


@dataclass
class ReservoirRegressor:
    """An echo state network on windows, read at each window's last step (ridge readout).

    Every window is run from the zero state; its first L - 1 states are the washout, so the
    readout regresses the H targets on h_L alone. Fitted state: ``esn_`` and ``history_``, one
    record of the training and validation MSE (scaled units).
    """

    reservoir: ReservoirConfig = ReservoirConfig()
    seed: int = 0
    select_ridge: bool = False  # choose λ from RIDGE_GRID on the validation windows
    kind: ClassVar[str] = "reservoir"

    def reseeded(self, seed: int) -> "ReservoirRegressor":
        return ReservoirRegressor(self.reservoir, seed, self.select_ridge)

    def fit(self, x: np.ndarray, y: np.ndarray,
            validation: tuple[np.ndarray, np.ndarray] | None = None,
            **train_options) -> "ReservoirRegressor":
        """Fit the readout on windows x (M, L, F) and targets y (M, H); no training loop, so
        checkpoints, progress callbacks and devices in ``train_options`` do not apply (the
        reservoir computes with NumPy on the CPU; every torchrun rank fits the same one)."""
        lookback = x.shape[1]
        self.esn_ = ESN(**asdict(self.reservoir) | {"washout": lookback - 1, "seed": self.seed})
        per_step = np.broadcast_to(y[:, None, :], (len(y), lookback, y.shape[1]))
        self.esn_.fit(x, per_step)
        if validation is not None and self.select_ridge:
            self._select_ridge(x, y, *validation)
        record = {"epoch": 1, "train_loss": self._mse(x, y), "ridge": self.esn_.ridge,
                  "val_loss": None if validation is None else self._mse(*validation)}
        self.history_ = History(records=[record], best_epoch=1,
                                best_val_loss=record["val_loss"] or record["train_loss"])
        return self

    def _select_ridge(self, x, y: np.ndarray, x_val, y_val: np.ndarray) -> None:
        """λ from :data:`~rnnkit.reservoir.readouts.RIDGE_GRID` by validation MSE. The states
        h_L do not depend on λ, so they are collected once and each λ is one closed-form
        solve."""
        reservoir, last = self.esn_.reservoir_, x.shape[1] - 1
        h = reservoir.run(np.asarray(x, float), washout=last)[:, 0]
        h_val = reservoir.run(np.asarray(x_val, float), washout=last)[:, 0]

        def val_mse(ridge: float) -> float:
            weight, bias = ridge_readout(h, y, ridge)
            return float(np.mean((h_val @ weight.T + bias - y_val) ** 2))
        best = min(RIDGE_GRID, key=val_mse)
        self.esn_.ridge = best
        self.esn_.weight_out_, self.esn_.bias_out_ = ridge_readout(h, y, best)

    def _mse(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean((self.predict(x) - y) ** 2))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.esn_.predict(x, washout=x.shape[1] - 1)[:, 0]

    def to(self, device: str) -> "ReservoirRegressor":
        """The reservoir computes with NumPy and SciPy: on the CPU, whatever ``device`` says."""
        return self

    def params(self) -> dict:
        return {"reservoir": asdict(self.reservoir), "seed": self.seed,
                "select_ridge": self.select_ridge}

    @classmethod
    def from_params(cls, params: dict) -> "ReservoirRegressor":
        return cls(ReservoirConfig(**params["reservoir"]), params["seed"],
                   params.get("select_ridge", False))

    def tensors(self) -> dict[str, Tensor]:
        return {name: torch.from_numpy(np.ascontiguousarray(a))
                for name, a in self.esn_.state_arrays().items()}

    def load_tensors(self, tensors: dict[str, Tensor]) -> "ReservoirRegressor":
        self.esn_ = ESN(**asdict(self.reservoir), seed=self.seed).load_state_arrays(
            {name: t.numpy() for name, t in tensors.items()})
        self.history_ = History()
        return self


WINDOW_MODELS = {cls.kind: cls for cls in (NetworkRegressor, ReservoirRegressor)}
