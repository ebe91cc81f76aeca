"""Truncated-BPTT training throughput: rnnkit.train on StreamBatches against a plain PyTorch loop.

Both train the same model (LSTM + per-step Linear head, carried state) from the same weights on
the same consecutive chunks, with the same optimizer and clipping; only the loop differs. Runs
are interleaved and the median of the repeats is reported (steps/s, overhead = rnnkit / plain - 1).

    python benchmarks/bench_tbptt.py --repeats 5
"""

import argparse
import copy
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.batches import StreamBatches
from rnnkit.layers import LSTM
from rnnkit.train import TrainConfig, detach_state, train


class StreamModel(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.rnn = LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, y, state=None):
        out, state = self.rnn(x, state)
        prediction = self.head(out)
        return prediction, F.mse_loss(prediction, y), state


def plain_loop(model: nn.Module, batches: StreamBatches, lr: float,
               chunks: int | None = None) -> None:
    """The hand-written reference: carried state, Adam, clipping at 1.0, first ``chunks``."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    state = None
    for k, (x, y) in enumerate(batches.epoch(0)):
        if k == chunks:
            break
        _, loss, state = model(x, y, state)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state = detach_state(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=320_000, help="series length")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(args.steps + 1) / 20).astype(np.float32) + rng.normal(
        0, 0.1, args.steps + 1).astype(np.float32)
    batches = StreamBatches(series[:-1, None], series[1:, None], args.batch_size, args.seq_len)
    cfg = TrainConfig(epochs=1, learning_rate=1e-3, lr_schedule="constant", patience=0,
                      grad_clip=1.0)
    torch.manual_seed(0)
    reference = StreamModel(args.hidden_size)
    times = {"plain": [], "rnnkit": []}
    for _ in range(args.repeats):
        for name in times:
            model = copy.deepcopy(reference)
            start = time.perf_counter()
            if name == "plain":
                plain_loop(model, batches, cfg.learning_rate)
            else:
                train(model, batches, cfg)
            times[name].append(time.perf_counter() - start)
    steps = len(batches)
    plain, ours = statistics.median(times["plain"]), statistics.median(times["rnnkit"])
    print(f"{steps} chunks of {args.batch_size} x {args.seq_len} steps, LSTM({args.hidden_size}),"
          f" median of {args.repeats}")
    print(f"plain loop: {steps / plain:.2f} chunks/s ({plain:.2f} s)")
    print(f"rnnkit.train: {steps / ours:.2f} chunks/s ({ours:.2f} s)")
    print(f"overhead: {ours / plain - 1:+.1%}")


if __name__ == "__main__":
    main()
