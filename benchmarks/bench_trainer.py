"""rnnkit.training.loop against a plain hand-written PyTorch loop: the shared trainer's overhead.

Both train the same model (a SequenceRegressor: LSTM(1, 32) + Linear head, from one initial
state) on the same windows: AAPL Close log returns (standardised), lookback 60, horizon 1, batch
64, Adam 1e-3, global-norm clipping at 1.0, constant rate, no validation, no checkpoints. So only
the loop differs. Three variants, timed round-robin (order alternating), median of ``repeats``:

    plain        the loop below on batches gathered beforehand (the same rows in the same order)
    rnnkit-loop  rnnkit.training.loop on those very tensors: the trainer's own cost (lr, .item(),
                 checks)
    rnnkit       rnnkit.training.loop on rnnkit.training.batches.Batches over the read-only
                 strided windows of rnnkit.forecast.windows.make_windows, gathering each batch
                 as it goes: what users run

All three must take the same optimizer steps and end with identical weights (checked, on the
untimed warm-up run): the same computation, timed. Threads (torch and BLAS) are pinned.
Overhead = time / plain time - 1; the target is within 5%.

    python benchmarks/bench_trainer.py                    # 10 epochs, 5 repeats, 2 threads
    python benchmarks/bench_trainer.py --epochs 3 --repeats 9 --threads 1
"""

import argparse
import copy
import platform
import statistics
import time

import numpy as np
import torch
from _common import pin_threads, rounds, same_work

from rnnkit.forecast.windows import make_windows
from rnnkit.io import load_aapl
from rnnkit.nn.models import SequenceRegressor
from rnnkit.training.batches import Batches
from rnnkit.training.loop import TrainConfig, train

LOOKBACK, HORIZON, HIDDEN = 60, 1, 32


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per variant (5)")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads (2)")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights and batch order")
    args = parser.parse_args(argv)
    for name in ("epochs", "repeats", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be a positive int, got {getattr(args, name)}")
    return args


def aapl_windows() -> tuple[np.ndarray, np.ndarray]:
    """(x (M, 60, 1), y (M, 1)): standardised daily log returns of AAPL Close, as views."""
    r = np.diff(np.log(load_aapl()["Close"].to_numpy()))
    r = (r - r.mean()) / r.std()
    return make_windows(r[:, None], r, LOOKBACK, HORIZON)


class Pregathered:
    """The batches of ``Batches`` gathered once, up front; served to rnnkit.training.loop as
    they are."""

    def __init__(self, batches: Batches, epochs: int) -> None:
        self.per_epoch = [list(batches.epoch(e)) for e in range(epochs)]

    def __len__(self) -> int:
        return len(self.per_epoch[0])

    def epoch(self, epoch: int):
        return iter(self.per_epoch[epoch])


def plain_train(model: torch.nn.Module, per_epoch: list, cfg: TrainConfig) -> int:
    """What one writes by hand: zero_grad, forward, backward, clip, step. Returns the steps."""
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    model.train()
    steps = 0
    for batches in per_epoch:
        for x, y in batches:
            optimizer.zero_grad(set_to_none=True)
            _, loss, _ = model(x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            steps += 1
    return steps


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    pin_threads(args.threads)  # torch and BLAS
    x, y = aapl_windows()
    cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=64,
        learning_rate=1e-3,
        optimizer="adam",
        grad_clip=1.0,
        lr_schedule="constant",
        patience=0,
        seed=args.seed,
    )
    batches = Batches(x, y, cfg.batch_size, shuffle=True, seed=args.seed)
    pregathered = Pregathered(batches, cfg.epochs)
    torch.manual_seed(args.seed)
    initial = SequenceRegressor(1, HIDDEN)

    def run(variant: str) -> tuple[float, dict, int]:
        model = copy.deepcopy(initial)
        started = time.perf_counter()
        if variant == "plain":
            steps = plain_train(model, pregathered.per_epoch, cfg)
        else:
            steps = len(train(model, pregathered if variant == "rnnkit-loop" else batches,
                              cfg).steps)
        seconds = time.perf_counter() - started
        return seconds, {k: v.detach().clone() for k, v in model.state_dict().items()}, steps

    variants = ["plain", "rnnkit-loop", "rnnkit"]
    times: dict[str, list[float]] = {v: [] for v in variants}
    warm = {v: run(v) for v in variants}  # warm-up, and the agreement check
    same_work("optimizer steps", **{v: w[2] for v, w in warm.items()})
    weights = {v: w[1] for v, w in warm.items()}
    identical = all(
        torch.equal(weights["plain"][k], weights[v][k]) for v in variants for k in weights["plain"]
    )
    for variant in rounds(variants, args.repeats):
        times[variant].append(run(variant)[0])

    steps = cfg.epochs * len(batches)
    plain = statistics.median(times["plain"])
    print(
        "rnnkit.training.loop vs a plain PyTorch loop: "
        f"{platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, {args.threads} threads"
    )
    print(
        f"AAPL log returns: {len(x)} windows x {LOOKBACK} steps, batch {cfg.batch_size}, "
        f"LSTM({1}, {HIDDEN}) + Linear, Adam {cfg.learning_rate:g}, clip {cfg.grad_clip:g}, "
        f"{cfg.epochs} epochs = {steps} steps; median of {args.repeats} interleaved runs"
    )
    print(f"identical final weights in all three: {identical}")
    print("| variant | median s | ms/step | min s | max s | overhead vs plain |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in variants:
        median = statistics.median(times[v])
        print(
            f"| {v} | {median:.3f} | {1000 * median / steps:.2f} | {min(times[v]):.3f} | "
            f"{max(times[v]):.3f} | {100 * (median / plain - 1):+.1f}% |"
        )
    overhead = statistics.median(times["rnnkit"]) / plain - 1
    print(
        f"overhead (rnnkit time / plain time - 1): {100 * overhead:+.1f}% "
        f"({'within' if overhead <= 0.05 else 'above'} the 5% target)"
    )
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
