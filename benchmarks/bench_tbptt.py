"""Truncated-BPTT throughput: rnnkit.training.loop on StreamBatches against a plain PyTorch loop.

Both train the same model (LSTM + per-step Linear head, carried state) from the same weights on
the same consecutive chunks, with the same optimizer and clipping; only the loop differs. Each
is warmed up once on a few chunks, which also checks the two end with identical weights (the
same computation); then ``--repeats`` timed runs of one epoch each, in alternating order, with
torch's and BLAS's threads pinned. The median is reported (chunks/s, overhead = rnnkit / plain
- 1), with the optimizer steps each took (checked equal).

    python benchmarks/bench_tbptt.py --repeats 5 --threads 1
"""

import argparse
import copy
import statistics
import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from _common import pin_threads, rounds, same_work
from torch import nn

from rnnkit.nn.layers import LSTM
from rnnkit.training.batches import StreamBatches
from rnnkit.training.loop import TrainConfig, detach_state, train


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
               chunks: int | None = None) -> int:
    """The hand-written reference: carried state, Adam, clipping at 1.0, first ``chunks``.
    Returns the optimizer steps taken."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    state, steps = None, 0
    for k, (x, y) in enumerate(batches.epoch(0)):
        if k == chunks:
            break
        _, loss, state = model(x, y, state)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state = detach_state(state)
        steps += 1
    return steps


def identical(a: nn.Module, b: nn.Module) -> bool:
    """The same parameters, bit for bit."""
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(),
                                                 b.state_dict().values(), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=320_000, help="series length")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads")
    args = parser.parse_args()
    pin_threads(args.threads)
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(args.steps + 1) / 20).astype(np.float32) + rng.normal(
        0, 0.1, args.steps + 1).astype(np.float32)
    batches = StreamBatches(series[:-1, None], series[1:, None], args.batch_size, args.seq_len)
    cfg = TrainConfig(epochs=1, learning_rate=1e-3, lr_schedule="constant", patience=0,
                      grad_clip=1.0)
    torch.manual_seed(0)
    reference = StreamModel(args.hidden_size)

    def run(name: str, chunks: int | None = None) -> tuple[float, int, nn.Module]:
        model = copy.deepcopy(reference)
        start = time.perf_counter()
        if name == "plain":
            steps = plain_loop(model, batches, cfg.learning_rate, chunks)
        else:
            steps = len(train(model, batches, replace(cfg, steps=chunks or 0)).steps)
        return time.perf_counter() - start, steps, model

    warm = {name: run(name, chunks=min(5, len(batches))) for name in ("plain", "rnnkit")}
    same = identical(warm["plain"][2], warm["rnnkit"][2])
    times: dict[str, list[float]] = {"plain": [], "rnnkit": []}
    steps = {}
    for name in rounds(list(times), args.repeats):
        seconds, steps[name], _ = run(name)
        times[name].append(seconds)
    same_work("optimizer steps", **steps)
    chunks = steps["plain"]
    plain, ours = statistics.median(times["plain"]), statistics.median(times["rnnkit"])
    print(f"{chunks} chunks of {args.batch_size} x {args.seq_len} steps, "
          f"LSTM({args.hidden_size}), {args.threads} threads, median of {args.repeats} "
          f"alternated runs; identical weights after the warm-up's chunks: {same}")
    print(f"plain loop: {chunks / plain:.2f} chunks/s ({plain:.2f} s)")
    print(f"rnnkit.training.loop: {chunks / ours:.2f} chunks/s ({ours:.2f} s)")
    print(f"overhead: {ours / plain - 1:+.1%}")
    if not same:
        raise SystemExit("the two loops did not compute the same steps")


if __name__ == "__main__":
    main()
