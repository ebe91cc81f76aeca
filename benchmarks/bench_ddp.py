"""Past one process: training throughput of the default global M4 Hourly run under torchrun.

One fixed slice of the default global run, `rnnkit forecast --data m4-hourly` with one model
(--ensemble 1) and no early stop (--patience 0): 60 epochs of 64 batches of 64 windows, the
budget of one ensemble member. Three ways to run it on the same machine:

    1 process x 1 thread     --threads 1                                      (the reference)
    1 process x 2 threads    --threads 2
    2 processes x 1 thread   torchrun --standalone --nproc-per-node 2 ... --threads 1 (DDP, gloo)

Throughput is the windows trained per second of the training loop, validation included,
read from the run's checkpoints/m0/history.jsonl (data preparation and scoring, done once
alike, are left out). Each way first runs a few untimed steps (imports, the page cache, the
process group); then every round runs all three, the order reversed every other round
(A B C, C B A, ...); figures are medians over rounds, ratios against the median of the
reference measured in the same invocation.

The ``steps`` part shows why two ranks fall short of x2, in this process on 1 thread: the
model of that run (LSTM 32 over 168 steps of one input, 48 outputs, MAE loss) timed for one
training step (forward, backward, Adam) at a rank's half batch (32 windows) and at the whole
batch (64), and for one validation batch (eval mode, no gradients) of PREDICT_BATCH windows and
a rank's half of it, alternated as above.

    python benchmarks/bench_ddp.py --rounds 2 --out runs/bench_ddp.json
    python benchmarks/bench_ddp.py --rounds 2 --out runs/bench_ddp_256.json \
        --extra --batch-size 256 --steps 640
    python benchmarks/bench_ddp.py --quick                       # a smoke test: 16 steps each
    python benchmarks/bench_ddp.py --only steps                  # the step costs alone
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from _common import alternated, medians, speedups, timed, warm_up
from bench_threads import BLOCK, REPEATS, training_steps

SLICE = ["--data", "m4-hourly", "--ensemble", "1", "--patience", "0", "--no-progress"]
TORCHRUN = [os.path.join(os.path.dirname(sys.executable), "torchrun"), "--standalone",
            "--nproc-per-node", "2"]
REFERENCE = "1 process x 1 thread"
WAYS = {REFERENCE: ([sys.executable], ["--threads", "1"]),
        "1 process x 2 threads": ([sys.executable], ["--threads", "2"]),
        "2 processes x 1 thread (DDP)": (TORCHRUN, ["--threads", "1"])}
WARM_UP = ["--steps", "4", "--epoch-batches", "2"]  # after the run's own flags: these win
QUICK = ["--steps", "16", "--epoch-batches", "4"]
MODEL = {"hidden": 32, "length": 168, "layers": 1, "input_size": 1, "output_size": 48,
         "loss": "mae"}  # the default global M4 Hourly network (one input: the level)


def forecast(launcher: list[str], flags: list[str], out: Path) -> Path:
    """Run the slice into ``out``; its first member's history file."""
    subprocess.run([*launcher, "-m", "rnnkit", "forecast", *SLICE, *flags, "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out / "checkpoints" / "m0" / "history.jsonl"


def windows_per_second(history: Path) -> float:
    """The windows trained per second of a run's training loop, from its history."""
    records = [json.loads(line) for line in history.read_text().splitlines()]
    samples = sum(r["samples_per_s"] * r["seconds"] for r in records)
    return samples / sum(r["seconds"] for r in records)


def side(name: str, extra: list[str], folders: Iterator[Path], label: str = ""
         ) -> Callable[[], float]:
    """The way ``name`` as a side of ``alternated``: each call one run, its windows/s."""
    launcher, flags = WAYS[name]

    def run() -> float:
        rate = windows_per_second(forecast(launcher, [*flags, *extra], next(folders)))
        print(f"{name}{label}: {rate:,.0f} windows/s", flush=True)
        return rate
    return run


def validation_batches(batch: int) -> Callable[[], None]:
    """A call that scores BLOCK validation batches of ``batch`` windows with MODEL, as the
    training loop's validation pass does (eval mode, no gradients), on 1 thread."""
    from rnnkit.nn.models import SequenceRegressor

    torch.manual_seed(0)
    model = SequenceRegressor(MODEL["input_size"], hidden_size=MODEL["hidden"],
                              output_size=MODEL["output_size"], loss=MODEL["loss"]).eval()
    x = torch.randn(batch, MODEL["length"], MODEL["input_size"])
    y = torch.randn(batch, MODEL["output_size"])

    @torch.no_grad()
    def block() -> None:
        torch.set_num_threads(1)
        for _ in range(BLOCK):
            model(x, y)
    return block


def step_costs(rounds: int) -> dict:
    """Milliseconds of one training step (a batch and a rank's half of it) and of one
    validation batch (PREDICT_BATCH windows and a rank's half)."""
    from rnnkit.forecast.window_models import PREDICT_BATCH

    whole = {"training step": 64, "validation batch": PREDICT_BATCH}
    sides = {(kind, batch): (training_steps(1, MODEL["hidden"], batch, MODEL["length"],
                                            MODEL["layers"], MODEL["input_size"],
                                            MODEL["output_size"], MODEL["loss"])
                             if kind == "training step" else validation_batches(batch))
             for kind, size in whole.items() for batch in (size // 2, size)}
    warm_up(sides)
    seconds = medians(alternated({side: timed(run) for side, run in sides.items()},
                                 rounds * REPEATS))
    ms = {side: 1e3 * s / BLOCK for side, s in seconds.items()}
    for kind, size in whole.items():
        half, full = ms[kind, size // 2], ms[kind, size]
        print(f"{kind}: {half:.1f} ms at {size // 2} windows, {full:.1f} ms at {size} (a "
              f"rank's half costs {half / full:.0%} of the whole; split over 2 ranks: "
              f"x{full / half:.2f})", flush=True)
    return {f"{kind} {batch}": value for (kind, batch), value in ms.items()}


def runs(extra: list[str], repeats: int) -> dict:
    """Windows/s of every way, its runs and its speed-up against the reference."""
    with tempfile.TemporaryDirectory() as tmp:
        folders = (Path(tmp) / f"run{k}" for k in itertools.count())
        warm_up({name: side(name, [*extra, *WARM_UP], folders, " (warm-up)") for name in WAYS})
        rates = alternated({name: side(name, extra, folders) for name in WAYS}, repeats)
    middle = medians(rates)
    ratio = speedups(middle, REFERENCE, rate=True)
    report = {name: {"windows_per_s": middle[name], "runs": rates[name],
                     "speedup": ratio[name]} for name in WAYS}
    report["extra_flags"] = extra
    print(f"medians of {repeats} alternated round(s), against {REFERENCE} in this run:")
    for name in WAYS:
        print(f"| {name} | {middle[name]:,.0f} windows/s | x{ratio[name]:.2f} |")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default="runs/bench_ddp.json")
    parser.add_argument("--quick", action="store_true",
                        help=f"one round of {' '.join(QUICK)} (checks the script, not a result)")
    parser.add_argument("--only", nargs="*", default=["runs", "steps"],
                        help="runs: the three ways under torchrun; steps: the step costs")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                        help="flags added to every run (e.g. --batch-size 256 --steps 640)")
    args = parser.parse_args()
    extra = [*args.extra, *QUICK] if args.quick else args.extra
    repeats = 1 if args.quick else args.rounds
    report = {}
    if "runs" in args.only:
        report = runs(extra, repeats)
    if "steps" in args.only:
        report["step_ms"] = step_costs(repeats)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
