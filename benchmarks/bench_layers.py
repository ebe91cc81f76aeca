"""rnnkit.nn against torch.nn on this CPU: speed and agreement of every path, as a Markdown table.

Each row is one (shape, layer, path): one forward + backward of ``out.sum()`` with weights copied
from torch.nn (the same input, the same sizes: checked), every module warmed up once, then
``repeats`` timed passes with the modules' order reversed every other round (median); ratio =
torch.nn time / ours, i.e. ours / torch.nn in sequences per second (> 1: ours is faster), and
the largest difference relative to torch.nn's scale over output, state and gradients
(:func:`rnnkit.nn.verify.max_difference`). Threads (torch and BLAS) are pinned to ``--threads``.

``--profile`` prints instead where a time step of the LSTM goes on each shape: torch.profiler's
per-kernel averages (self CPU time, calls) over one forward + backward of the handwritten and the
fused path, after a warm-up, and each path's total over the T steps.

    python benchmarks/bench_layers.py                      # both shapes, 2 threads
    python benchmarks/bench_layers.py --shapes small --repeats 41 --out rows.json
    python benchmarks/bench_layers.py --shapes small --profile
"""

import argparse
import json
import os
import platform
import time

import torch
from _common import alternated, medians, pin_threads, same_work, timed

from rnnkit.nn import layers
from rnnkit.nn.init import seeded
from rnnkit.nn.verify import LAYER_NAMES, PATHS, max_difference

# name -> (batch_size B, seq_len T, input_size F, hidden_size H), default repeats
SHAPES = {
    "small": ((64, 60, 1, 100), 21),  # the tutorial's sine regression
    "large": ((64, 256, 64, 512), 5),  # matmul-bound: minutes in all, so fewer repeats
    "tiny": ((4, 10, 1, 8), 3),  # a smoke test of the script, not a measurement
}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shapes",
        default="small,large",
        help=f"comma-separated, from {', '.join(SHAPES)} (default: small,large)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed passes per path, for every shape (default: small 21, large 5)",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights and input")
    parser.add_argument("--out", default=None, help="write the rows as JSON to this path")
    parser.add_argument("--profile", action="store_true",
                        help="per-kernel times of the LSTM's paths instead of the table")
    args = parser.parse_args(argv)
    args.shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [s for s in args.shapes if s not in SHAPES]
    if unknown or not args.shapes:
        parser.error(f"--shapes must name some of {', '.join(SHAPES)}, got {unknown or 'none'}")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be a positive int, got {args.repeats}")
    return args


def _forward_backward(module: torch.nn.Module, x: torch.Tensor) -> tuple:
    module.zero_grad(set_to_none=True)
    out, _ = module(x)
    out.sum().backward()
    return tuple(out.shape)


def compare(batch: int, seq_len: int, features: int, hidden: int, repeats: int,
            seed: int) -> list[dict]:
    """One row per (layer, path) on this shape: max difference to torch.nn, seq/s, ratio."""
    rows = []
    x = torch.randn(batch, seq_len, features, generator=torch.Generator().manual_seed(seed))
    for name in LAYER_NAMES:
        with seeded(seed):
            ref = getattr(torch.nn, name)(features, hidden, batch_first=True)
        modules = {"torch.nn": ref}
        for path in PATHS:
            ours = getattr(layers, name)(features, hidden, batch_first=True, backend=path)
            ours.load_state_dict(ref.state_dict())
            modules[path] = ours
        shapes = {side: _forward_backward(m, x) for side, m in modules.items()}  # warm-up
        same_work(f"{name} output shape", **shapes)
        same_work(f"{name} sizes", **{side: (m.input_size, m.hidden_size, m.num_layers)
                                      for side, m in modules.items()})
        seconds = medians(alternated(
            {side: timed(lambda m=m: _forward_backward(m, x)) for side, m in modules.items()},
            repeats))
        base = seconds["torch.nn"]
        for path in PATHS:
            ours, sec = modules[path], seconds[path]
            rows.append({
                "layer": name,
                "path": path if path != "auto" else f"auto ({ours.last_backend})",
                "max_rel_diff": max_difference(ref, ours, x),
                "seq_per_s": batch / sec, "torch_seq_per_s": batch / base, "ratio": base / sec,
            })
    return rows


def profile_lstm(batch: int, seq_len: int, features: int, hidden: int, seed: int) -> None:
    """Print torch.profiler's per-kernel averages over one forward + backward of the LSTM's
    handwritten and fused paths, and each path's self CPU time per time step."""
    from torch.profiler import ProfilerActivity, profile

    x = torch.randn(batch, seq_len, features, generator=torch.Generator().manual_seed(seed))
    for path in ("handwritten", "fused"):
        with seeded(seed):
            module = layers.LSTM(features, hidden, batch_first=True, backend=path)
        _forward_backward(module, x)  # warm-up
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            _forward_backward(module, x)
        kernels = prof.key_averages()
        total = sum(k.self_cpu_time_total for k in kernels)  # microseconds
        print(f"\nLSTM {path}, {_shape_label((batch, seq_len, features, hidden))}: "
              f"{total / seq_len:.0f} us per time step, forward + backward (self CPU time of "
              "every op / T)")
        print(kernels.table(sort_by="self_cpu_time_total", row_limit=12))


def _shape_label(dims: tuple[int, int, int, int]) -> str:
    return "B={} T={} F={} H={}".format(*dims)


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| shape | layer | path | seq/s | torch.nn seq/s | ratio (ours/torch.nn) | max rel diff |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['shape_label']} | {r['layer']} | {r['path']} | {r['seq_per_s']:,.0f} | "
            f"{r['torch_seq_per_s']:,.0f} | {r['ratio']:.2f} | {r['max_rel_diff']:.1e} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    pin_threads(args.threads)
    if args.profile:
        for name in args.shapes:
            profile_lstm(*SHAPES[name][0], seed=args.seed)
        return 0
    rows = []
    for name in args.shapes:
        dims, default_repeats = SHAPES[name]
        repeats = args.repeats or default_repeats
        start = time.perf_counter()
        shape_rows = compare(*dims, repeats=repeats, seed=args.seed)
        elapsed = time.perf_counter() - start
        print(f"{name} {_shape_label(dims)}: {repeats} repeats, {elapsed:.0f} s", flush=True)
        for r in shape_rows:
            rows.append({"shape": name, "shape_label": _shape_label(dims), "repeats": repeats, **r})
    print()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    )
    print()
    print(markdown_table(rows))
    if args.out:
        for r in rows:
            r |= {"threads": args.threads, "seed": args.seed, "torch": torch.__version__}
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rows, f, indent=2)
        os.replace(tmp, args.out)  # never a half-written file
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
