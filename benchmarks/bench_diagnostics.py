"""The cost of one gradient-flow snapshot relative to one training step of the same layer.

Both act on the same batch (B=32, T=100, F=1) and the same LSTM(1, 64) (batch first, forget_bias
1.0); the training step is that LSTM + a Linear head on h_{T-1}: forward, MSE loss, backward and
one Adam step, on the layer's default path (``backend="auto"``). The snapshot is one call of
``GradientFlowTracker`` (the step functions of rnnkit.nn.cells looped under autograd with
``retain_grad()`` on every h_t and c_t, one backward, the spectral radius of W_hh). Also timed,
outside the target: ``jacobian_norms`` (σ_max of every step Jacobian, all t and b), which the
tracker does not compute; it takes seconds, so it is timed only ``min(3, repeats)`` times, after
the others. The two compared run round-robin (order alternating), ``repeats`` times, after one
warm-up each; the medians are compared. Target: snapshot / training step <= 3.

    python benchmarks/bench_diagnostics.py                 # 21 repeats, 2 threads
    python benchmarks/bench_diagnostics.py --repeats 41 --threads 1
"""

import argparse
import os
import platform

import torch
from _common import alternated, medians, pin_threads, timed, warm_up
from torch import nn

from rnnkit.nn.diagnostics import GradientFlowTracker, jacobian_norms
from rnnkit.nn.layers import LSTM

BATCH, SEQ_LEN, INPUT, HIDDEN = 32, 100, 1, 64


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed runs per variant (21)")
    parser.add_argument("--threads", type=int, default=2, help="torch and BLAS threads (2)")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights and data")
    args = parser.parse_args(argv)
    for name in ("repeats", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be a positive int, got {getattr(args, name)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    pin_threads(args.threads)  # torch and BLAS
    torch.manual_seed(args.seed)
    layer = LSTM(INPUT, HIDDEN, batch_first=True, forget_bias=1.0)
    head = nn.Linear(HIDDEN, 1)
    optimizer = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=1e-3)
    gen = torch.Generator().manual_seed(args.seed)
    x = torch.randn(BATCH, SEQ_LEN, INPUT, generator=gen)  # (B, T, F)
    y = torch.randn(BATCH, 1, generator=gen)
    tracker = GradientFlowTracker(layer, x, every=1)

    def train_step() -> None:
        out, _ = layer(x)  # (B, T, H)
        loss = nn.functional.mse_loss(head(out[:, -1]), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    variants = {"training step": train_step, "snapshot (tracker)": lambda: tracker(0)}
    warm_up(variants)  # allocator, oneDNN primitives
    seconds = alternated({name: timed(run) for name, run in variants.items()}, args.repeats)
    jacobian_norms(layer, x[:1])  # warm-up: torch.func tracing
    seconds |= alternated({"jacobian_norms": timed(lambda: jacobian_norms(layer, x))},
                          min(3, args.repeats))
    middle = medians(seconds)
    base = middle["training step"]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"LSTM B={BATCH} T={SEQ_LEN} F={INPUT} H={HIDDEN} ({layer.last_backend} path), "
          f"median of {args.repeats}")
    print()
    print("| variant | median ms | / training step |")
    print("|---|---:|---:|")
    for name, median in middle.items():
        print(f"| {name} | {median * 1e3:.2f} | {median / base:.2f} |")
    ratio = middle["snapshot (tracker)"] / base
    print()
    print(f"snapshot / training step = {ratio:.2f} (target <= 3): "
          f"{'met' if ratio <= 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
