"""rnnkit.training: the one training loop and what it runs on. Batches and streams, the
run's state and its checkpoints, the runtime (threads, device, torchrun), search spaces and the
long-memory tasks that exercise training through time."""

from rnnkit.training.batches import Batches, StreamBatches
from rnnkit.training.checkpoints import History, RunState
from rnnkit.training.loop import TrainConfig, lr_at, train, validation_loss
from rnnkit.training.runtime import Runtime, RuntimeConfig
from rnnkit.training.search import Choice, Float, Int, Param

__all__ = ["Batches", "Choice", "Float", "History", "Int", "Param", "RunState", "Runtime",
           "RuntimeConfig", "StreamBatches", "TrainConfig", "lr_at", "train", "validation_loss"]
