"""Threads that don't fight: the data behind rnnkit's thread policy, and two runs side by side.

    steps       one LSTM training step (forward, backward, Adam) at several sizes, 1 thread
                against 2, in this process: the speed-up a second thread buys against the
                step's work (multiply-adds per time step, rnnkit.training.runtime.recurrent_work),
                which sets rnnkit.training.runtime.WORK_PER_THREAD
    together    `rnnkit forecast` (the default run on the bundled AAPL data) alone, and two of
                them started at the same moment: with the default policy and with --threads
                set to the cores (what torch does by default); wall time of each child, and
                its training and scoring alone (the `seconds` of its metrics.json)

Every setting is warmed up untimed first (three steps; one short forecast), then the settings
alternate within each round, the order reversed every other round; figures are medians, ratios
are taken against the reference measured in the same invocation (1 thread; a run alone). For
the steps, each timed call sets its thread count and runs a block of BLOCK steps (so the count
changes between blocks, never inside one), ``--rounds`` x REPEATS blocks a setting; a step's
time is its block's over BLOCK. Run it on an idle machine:

    python benchmarks/bench_threads.py --rounds 3 --out runs/bench_threads.json
    python benchmarks/bench_threads.py --quick          # a smoke test: two sizes, one epoch
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import alternated, medians, speedups, timed, warm_up

SIZES = [(16, 64, 60, 1), (32, 64, 60, 1), (64, 64, 60, 1), (128, 64, 60, 1),
         (64, 256, 168, 1), (256, 32, 128, 2)]  # (hidden, batch, steps, layers)
BLOCK, REPEATS = 3, 5  # steps per timed call; timed calls per setting and round
QUICK_FORECAST = ["--epochs", "1"]


def training_steps(threads: int, hidden: int, batch: int, length: int, layers: int,
                   input_size: int = 3, output_size: int = 1, loss: str = "mse"
                   ) -> Callable[[], None]:
    """A call that runs BLOCK training steps of an LSTM regressor on ``threads`` threads."""
    import torch

    from rnnkit.nn.models import SequenceRegressor

    torch.manual_seed(0)
    model = SequenceRegressor(input_size, output_size=output_size, cell="lstm",
                              hidden_size=hidden, num_layers=layers, loss=loss)
    optimizer = torch.optim.Adam(model.parameters())
    x, y = torch.randn(batch, length, input_size), torch.randn(batch, output_size)

    def block() -> None:
        torch.set_num_threads(threads)
        for _ in range(BLOCK):
            _, loss, _ = model(x, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return block


def steps_table(rounds: int, sizes: list[tuple[int, int, int, int]]) -> list[dict]:
    from rnnkit.training.runtime import default_threads, recurrent_work

    rows = []
    for hidden, batch, length, layers in sizes:
        sides = {threads: training_steps(threads, hidden, batch, length, layers)
                 for threads in (1, 2)}
        warm_up(sides)
        seconds = alternated({threads: timed(run) for threads, run in sides.items()},
                             rounds * REPEATS)
        per_step = {threads: t / BLOCK for threads, t in medians(seconds).items()}
        work = recurrent_work("lstm", hidden, batch, layers, 3)
        rows.append({"hidden": hidden, "batch": batch, "steps": length, "layers": layers,
                     "work": work, "ms_1_thread": 1e3 * per_step[1],
                     "speedup_2_threads": speedups(per_step, 1)[2],
                     "policy_threads_on_2_cores": default_threads(work, cores=2, processes=1)})
        r = rows[-1]
        print(f"| {hidden}, {batch}, {length}, {layers} | {work:.2g} | "
              f"{r['ms_1_thread']:.1f} ms | x{r['speedup_2_threads']:.2f} | "
              f"{r['policy_threads_on_2_cores']} |", flush=True)
    return rows


def forecasts(count: int, flags: list[str], folder: Path) -> list[tuple[float, float]]:
    """Start ``count`` default forecasts at once; the wall time of each, and the seconds it
    spent training and scoring (its metrics.json ``seconds``: no start-up, no data reading)."""
    command = [sys.executable, "-m", "rnnkit", "forecast", "--no-progress", *flags]
    started = time.perf_counter()
    outs = [folder / f"run{k}" for k in range(count)]
    children = [subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.DEVNULL)
                for out in outs]
    seconds = []
    for child, out in zip(children, outs, strict=True):
        child.wait()
        if child.returncode:
            raise SystemExit(f"rnnkit forecast failed: exit {child.returncode}")
        wall = time.perf_counter() - started
        seconds.append((wall, json.loads((out / "metrics.json").read_text())["seconds"]))
    return seconds


def together_table(rounds: int, extra: list[str]) -> dict:
    cores = len(os.sched_getaffinity(0))
    policy, torch_default = "default policy", f"--threads {cores} (torch's default)"
    settings = {policy: [*extra], torch_default: ["--threads", str(cores), *extra]}
    with tempfile.TemporaryDirectory() as tmp:
        warm_up({name: lambda f=flags: forecasts(1, [*f, "--epochs", "1"], Path(tmp))
                 for name, flags in settings.items()})
        trained: dict[tuple[str, int], list[float]] = {}  # metrics.json seconds, by side

        def run(flags: list[str], count: int, side: tuple[str, int]) -> float:
            walls, inside = zip(*forecasts(count, flags, Path(tmp)), strict=True)
            trained.setdefault(side, []).extend(inside)
            return statistics.median(walls)
        runs = {(name, count): lambda f=flags, c=count, s=(name, count): run(f, c, s)
                for name, flags in settings.items() for count in (1, 2)}
        measures = alternated(runs, rounds)
    seconds, inside = medians(measures), medians(trained)
    result = {}
    for name in settings:
        alone, together = seconds[name, 1], seconds[name, 2]
        result[name] = {"alone_s": alone, "together_s": together, "ratio": together / alone,
                        "alone_trained_s": inside[name, 1],
                        "runs": {"alone": measures[name, 1], "together": measures[name, 2]}}
        print(f"| {name} | {alone:.1f} s | {together:.1f} s | x{together / alone:.2f} |",
              flush=True)
    versus = seconds[torch_default, 1] / seconds[policy, 1]
    result["alone_policy_vs_torch_default"] = versus
    print(f"alone, {policy} against {torch_default}: {seconds[policy, 1]:.2f} s against "
          f"{seconds[torch_default, 1]:.2f} s (x{versus:.2f} the speed); training and scoring "
          f"inside the run (metrics.json seconds): {inside[policy, 1]:.2f} s against "
          f"{inside[torch_default, 1]:.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=["steps", "together"])
    parser.add_argument("--out", default="runs/bench_threads.json")
    parser.add_argument("--quick", action="store_true",
                        help="one round, the first two sizes, forecasts of one epoch (checks "
                             "the script, not a result)")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    report = {}
    if "steps" in args.only:
        print("| LSTM (hidden, batch, steps, layers) | work | 1 thread | 2 threads buy | "
              "policy on 2 cores |")
        report["steps"] = steps_table(rounds, SIZES[:2] if args.quick else SIZES)
    if "together" in args.only:
        print("| | one alone | two together, each | ratio |")
        report["together"] = together_table(rounds, QUICK_FORECAST if args.quick else [])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
