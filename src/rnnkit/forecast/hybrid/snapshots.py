"""One seed of the hybrid trained by rnnkit's loop, and its best epochs kept as members.

The series travel as the rows of one input (:func:`.series.packed_series`), batched like
windows by :func:`rnnkit.training.loop.train`; after every epoch the network's weights are
kept when its validation loss is among the ``snapshots`` lowest so far, and those epochs
become the ensemble's members (a snapshot ensemble over one run's epochs).
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from rnnkit.forecast.hybrid.network import HybridNetwork
from rnnkit.training.batches import Batches
from rnnkit.training.checkpoints import History
from rnnkit.training.loop import TrainConfig, train

PREDICT_SERIES = 256  # series per forward pass when forecasting or validating


def train_snapshots(build: Callable[[], HybridNetwork], x: np.ndarray, used: list,
                    cfg: TrainConfig, snapshots: int, checkpoint_dir: Path | None = None,
                    resume: bool = False, on_epoch=None, device: str = "cpu"
                    ) -> tuple[list[HybridNetwork], History]:
    """Train a network from ``build()`` (seeded by ``cfg.seed``, its first season cycles
    from the series ``used``) on the packed series ``x``; its ``snapshots`` epochs of lowest
    validation loss as fitted members (in eval mode), and the run's History. A resumed run
    keeps the epochs it trains after the resume (the network it restored when none)."""
    torch.manual_seed(cfg.seed)
    network = build()
    network.smoothing.start_from(used)
    network.to(device)
    dummy = np.zeros((len(x), 1), dtype=np.float32)  # the network reads its targets in x
    by_length = x[np.argsort([len(y) for y in used], kind="stable")]  # for the forward cut
    kept: list = []

    def keep(entry: dict) -> None:
        state = {name: t.detach().clone() for name, t in network.state_dict().items()}
        kept.append((entry["val_loss"], entry["epoch"], state))
        kept.sort(key=lambda s: s[0])
        del kept[snapshots:]
        if on_epoch is not None:
            on_epoch(entry)

    history = train(network, Batches(x, dummy, cfg.batch_size, seed=cfg.seed,
                                     max_batches=cfg.epoch_batches), cfg,
                    val_batches=Batches(by_length, dummy, PREDICT_SERIES, shuffle=False),
                    checkpoint_dir=checkpoint_dir, resume=resume, on_epoch=keep)
    members = []
    for _, _, state in kept:
        member = build().to(device)
        member.load_state_dict(state)
        members.append(member.eval())
    return members or [network.eval()], history


__all__ = ["PREDICT_SERIES", "train_snapshots"]
