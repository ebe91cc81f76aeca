"""The hybrid's settings as a config (its ``--flags`` under ``rnnkit forecast --model hybrid``)
and its training defaults."""

from dataclasses import dataclass

from rnnkit._checks import check_in_range, check_positive_int
from rnnkit._fields import opt
from rnnkit.training.loop import TrainConfig

# 30 passes over the series, 64 series a step, the rate falling from 0.01 along a cosine: the
# validation loss on M4 Hourly fell with the rate from 0.03 to 0.01 and with 15, 25 and 35
# passes (README); 30 keeps an M4 Hourly run near 7 minutes on 2 cores
# (at most 16 batches an epoch, a fresh random draw each: 1,024 series; more series than that
# take more epochs to see once, and an epoch's time stays bounded)
HYBRID_TRAIN = TrainConfig(epochs=30, batch_size=64, learning_rate=1e-2, patience=0,
                           epoch_batches=16)


@dataclass(frozen=True)
class HybridConfig:
    """The options of :class:`~rnnkit.forecast.hybrid.HybridForecaster` that a job sets."""

    hidden: int = opt(40, "width of the hybrid's dilated LSTM layers")
    level_penalty: float = opt(50.0, "weight λ of the level's wiggle (the mean squared change "
                               "of its log slope) in the hybrid's loss")
    quantile: float = opt(0.49, "τ of the hybrid's point forecast in the pinball loss (a "
                          "little below 0.5 counters the log target's upward bias)")
    snapshots: int = opt(3, "epochs of each seed the hybrid keeps in its ensemble: those of "
                         "lowest validation loss")
    history: int = opt(1000, "the hybrid reads at most this many last values of a series")

    def __post_init__(self) -> None:
        check_positive_int("hidden", self.hidden)
        check_in_range("level_penalty", self.level_penalty, 0.0, 1e6)
        check_in_range("quantile", self.quantile, 0.0, 1.0, low_open=True, high_open=True)
        check_positive_int("snapshots", self.snapshots)
        check_positive_int("history", self.history)


__all__ = ["HYBRID_TRAIN", "HybridConfig"]
